// Loads committed vectors from test/vectors; refuses files that SOURCES.md does not list.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const VECTOR_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "vectors");

export function listedVectorFiles(): string[] {
  const sources = readFileSync(join(VECTOR_DIR, "SOURCES.md"), "utf8");
  return [...sources.matchAll(/^\| `([^`]+)`\s*\|/gm)].map((m) => m[1]!);
}

export function vectorFiles(): string[] {
  return readdirSync(VECTOR_DIR).filter((f) => f !== "SOURCES.md");
}

export function loadVector<T>(file: string): T {
  if (!listedVectorFiles().includes(file))
    throw new Error(`vector ${file} has no row in test/vectors/SOURCES.md`);
  return JSON.parse(readFileSync(join(VECTOR_DIR, file), "utf8")) as T;
}
