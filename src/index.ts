// Library entry: what other programs may import from the "stinger" package.
export { StingerPowProvider } from "./client/pow-provider.ts";
export * as protocol from "./protocol/index.ts";
