import assert from "node:assert/strict";
import { test } from "node:test";
import { listedVectorFiles, vectorFiles } from "./_vectors.ts";

test("every vector file has a SOURCES.md row and every row has a file", () => {
  const listed = listedVectorFiles().sort();
  const present = vectorFiles().sort();
  assert.deepEqual(present, listed);
  assert.ok(listed.length >= 12);
});
