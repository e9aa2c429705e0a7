import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseDuration, parseSize } from "../../src/util/units.ts";

describe("Hornet-style sizes and durations", () => {
  it("sizes", () => {
    assert.equal(parseSize("1M"), 1_048_576);
    assert.equal(parseSize("512K"), 524_288);
    assert.equal(parseSize("100"), 100);
    assert.equal(parseSize(42), 42);
    assert.throws(() => parseSize("1X"), /not a size/);
    assert.throws(() => parseSize("-1M"), /not a size/);
  });
  it("durations", () => {
    assert.equal(parseDuration("5s"), 5000);
    assert.equal(parseDuration("250ms"), 250);
    assert.equal(parseDuration("1m30s"), 90_000);
    assert.equal(parseDuration(1500), 1500);
    assert.throws(() => parseDuration("5"), /not a duration/);
    assert.throws(() => parseDuration("5s junk"), /not a duration/);
  });
});
