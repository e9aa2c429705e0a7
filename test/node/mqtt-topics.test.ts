// TIP-16 subscription rules and the subscriber index every publish consults.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { filterMatches, isSubscribable, SubscriptionIndex } from "../../src/node/mqtt/topics.ts";

const ID = "ab".repeat(32);

describe("MQTT topics", () => {
  it("MQTT wildcard matching: + is one level, # the rest", () => {
    assert.equal(filterMatches("messages/+/metadata", `messages/${ID}/metadata`), true);
    assert.equal(filterMatches("messages/+/metadata", "messages/referenced"), false);
    assert.equal(filterMatches("outputs/#", `outputs/${ID}00`), true);
    assert.equal(filterMatches("#", "milestones/latest"), true);
    assert.equal(filterMatches("milestones/latest", "milestones/latest"), true);
    assert.equal(filterMatches("milestones/latest", "milestones/confirmed"), false);
    assert.equal(filterMatches("messages", "messages/referenced"), false);
    // MQTT 3.1.1 §4.7.1.2: "sport/#" also matches "sport".
    assert.equal(filterMatches("messages/#", "messages"), true);
  });

  it("accepts TIP-16 topics and filters that can match one, refuses the rest", () => {
    for (const ok of [
      "milestones/latest",
      "milestones/confirmed",
      "messages",
      "messages/referenced",
      "messages/indexation/6869",
      `messages/${ID}/metadata`,
      "messages/+/metadata",
      `transactions/${ID}/included-message`,
      `outputs/${ID}0000`,
      "outputs/+",
      "addresses/atoi1qrhacyfwlcnzkvzteumekfkrrwks98mpdm37cj4xx3drvmjvnep6x8x4r7t/outputs",
      `addresses/ed25519/${ID}/outputs`,
      "receipts",
      "milestones/+",
      "#",
    ])
      assert.equal(isSubscribable(ok), true, ok);
    for (const bad of [
      "",
      "nonsense",
      "milestones",
      "messages/a/b/c/d",
      "$SYS/broker",
      "mess+ages",
      "a#",
      "#/x",
      "outputs/x/y",
    ])
      assert.equal(isSubscribable(bad), false, bad);
  });

  it("counts subscribers per filter; wildcards count for every topic they match", () => {
    const idx = new SubscriptionIndex(2);
    assert.equal(idx.hasSubscribers("milestones/latest"), false);
    idx.add("milestones/latest");
    idx.add("milestones/latest");
    idx.add("messages/+/metadata");
    assert.equal(idx.hasSubscribers("milestones/latest"), true);
    assert.equal(idx.hasSubscribers(`messages/${ID}/metadata`), true);
    assert.equal(idx.hasSubscribers("milestones/confirmed"), false);
    assert.equal(idx.hasAnyUnder("messages"), true);
    assert.equal(idx.hasAnyUnder("addresses"), false);
    assert.equal(idx.size, 3);
    idx.remove("milestones/latest");
    assert.equal(idx.hasSubscribers("milestones/latest"), true);
    idx.remove("milestones/latest");
    idx.remove("messages/+/metadata");
    assert.equal(idx.hasSubscribers("milestones/latest"), false);
    assert.equal(idx.hasSubscribers(`messages/${ID}/metadata`), false);
    assert.equal(idx.size, 0);
    // Removing what is not there changes nothing.
    idx.remove("receipts");
    assert.equal(idx.size, 0);
  });
});
