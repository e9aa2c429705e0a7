// Public API of the protocol layer.
export * from "./bech32.ts";
export * from "./blake2b.ts";
export { bytesEqual, compareBytes, concatBytes } from "./bytes.ts";
export * from "./curl/b1t6.ts";
export * from "./curl/curl.ts";
export * from "./curl/pow.ts";
export { ed25519PublicKey, ed25519Sign, ed25519Verify } from "./ed25519.ts";
export * from "./errors.ts";
export * from "./hex.ts";
export * from "./json.ts";
export { generateEd25519Seed } from "./keys.ts";
export * from "./merkle.ts";
export * from "./message.ts";
export * from "./milestone.ts";
export * from "./params.ts";
export * from "./types.ts";
