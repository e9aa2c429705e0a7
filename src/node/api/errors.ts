import { StingerError } from "../../util/errors.ts";

/** Hornet's error envelope: the status as a string code plus a readable message. */
export function errorBody(status: number, message: string) {
  return { error: { code: String(status), message } };
}

export const badRequest = (message: string) => new StingerError("API_BAD_REQUEST", message, { status: 400 });
export const notFound = (message: string) => new StingerError("API_NOT_FOUND", message, { status: 404 });
export const notSynced = () => new StingerError("API_NOT_SYNCED", "node is not synced", { status: 503 });
