import type { Check } from "../check.ts";

/** Every check, in report order. Ids are stable: a retired id is never reused. */
export const ALL_CHECKS: readonly Check[] = [];
