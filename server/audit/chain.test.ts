import { createHash, createHmac } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "@/server/lib/canonical";
import { GENESIS_HASH, eventHash, legacyEventHash, verifyChain, type ChainedEvent, type ChainedEventContent } from "./chain";
import { auditKeyring, type AuditKey } from "./keys";

const keyring = auditKeyring("k".repeat(32));
const key = keyring.current;

function content(seq: number, keyId: string | null): ChainedEventContent {
  return {
    id: `e${seq}`,
    at: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)),
    actorId: "u1",
    actorLabel: "alex@acme.example",
    actorType: "user",
    action: "policy.updated",
    targetType: "policy",
    targetId: "p1",
    targetLabel: "payments-api",
    tenantId: null,
    before: { v: seq - 1 },
    after: { v: seq },
    requestId: `r${seq}`,
    keyId,
  };
}

/** Events sealed one after another: with `keys[i]`, or unkeyed (legacy) where it is null. */
function chain(keys: (AuditKey | null)[], from: ChainedEvent[] = []): ChainedEvent[] {
  const events = [...from];
  let prevHash = events.at(-1)?.hash ?? GENESIS_HASH;
  for (const k of keys) {
    const seq = events.length + 1;
    const c = content(seq, k?.id ?? null);
    const hash = k ? eventHash(prevHash, c, k) : legacyEventHash(prevHash, c);
    events.push({ ...c, seq, prevHash, hash });
    prevHash = hash;
  }
  return events;
}
const sealed = (n: number) => chain(Array.from({ length: n }, () => key));
const checkpointAt = (e: ChainedEvent) => ({ seq: e.seq, hash: e.hash, at: "2026-01-01T00:00:00.000Z" });

describe("audit hash chain", () => {
  it("serialises objects independently of key order", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: null } })).toBe(
      canonicalJson({ a: { c: null, d: [1, { y: 2, z: 1 }] }, b: 1 }),
    );
  });

  it("accepts an untouched chain and reports its head", () => {
    const events = sealed(4);
    expect(verifyChain(events, keyring)).toEqual({ ok: true, checked: 4, headSeq: 4, headHash: events[3]!.hash, checkpoint: null });
  });

  it("finds the first modified event", () => {
    const events = sealed(4);
    events[2] = { ...events[2]!, after: { v: 100 } };
    expect(verifyChain(events, keyring)).toMatchObject({ ok: false, brokenAtSeq: 3, checked: 2 });
  });

  it("finds a removed event", () => {
    const events = sealed(4);
    events.splice(1, 1);
    expect(verifyChain(events, keyring)).toMatchObject({ ok: false, brokenAtSeq: 3 });
  });

  it("finds events out of order", () => {
    const events = sealed(3);
    expect(verifyChain([events[0]!, events[2]!, events[1]!], keyring)).toMatchObject({ ok: false, brokenAtSeq: 3 });
  });
});

describe("keyed audit chain against someone who can rewrite the database", () => {
  it("detects a rewrite that recomputes the unkeyed hashes from the edited event on", () => {
    const events = sealed(5);
    // The attacker keeps #1 and #2 and writes their own #3 to #5, each hash recomputed without the key.
    const rewritten = chain([null, null, null], events.slice(0, 2));
    expect(verifyChain(rewritten, keyring)).toMatchObject({ ok: false, brokenAtSeq: 3, reason: expect.stringContaining("carries no key") });
  });

  it("detects a whole chain recomputed without a key, once a checkpoint was exported", () => {
    const genuine = sealed(3);
    const forged = chain([null, null, null]);
    expect(verifyChain(forged, keyring, [checkpointAt(genuine[2]!)])).toMatchObject({
      ok: false,
      brokenAtSeq: 3,
      reason: expect.stringContaining("not the event the checkpoint"),
    });
    expect(verifyChain(forged, keyring)).toMatchObject({
      ok: false,
      brokenAtSeq: 1,
      reason: expect.stringContaining("no signed checkpoint covers them"),
    });
  });

  it("refuses a chain sealed with a key it does not know, naming the key id", () => {
    const forger = auditKeyring("f".repeat(32)).current;
    const forged = chain([forger, forger]);
    expect(verifyChain(forged, keyring)).toMatchObject({ ok: false, brokenAtSeq: 1, reason: expect.stringContaining(forger.id) });
  });

  it("verifies events sealed with a retired key while it is listed among the previous keys", () => {
    const old = auditKeyring("o".repeat(32)).current;
    const rotated = auditKeyring("n".repeat(32), ["o".repeat(32)]);
    const events = chain([rotated.current], chain([old, old]));
    expect(verifyChain(events, rotated)).toMatchObject({ ok: true, checked: 3 });
    expect(verifyChain(events, auditKeyring("n".repeat(32)))).toMatchObject({ ok: false, brokenAtSeq: 1 });
  });

  it("detects a cut-off tail against the newest exported checkpoint", () => {
    const events = sealed(5);
    const checkpoint = checkpointAt(events[4]!);
    expect(verifyChain(events, keyring, [checkpoint])).toMatchObject({ ok: true, checked: 5, checkpoint });
    const cut = verifyChain(events.slice(0, 3), keyring, [checkpointAt(events[1]!), checkpoint]);
    expect(cut).toMatchObject({
      ok: false,
      checked: 3,
      brokenAtSeq: 4,
      reason: expect.stringMatching(/newest events were deleted: the chain ends at #3.*signed #5/),
    });
  });

  it("accepts events from before the chain was keyed only when a checkpoint seals them", () => {
    const events = chain([key, key], chain([null, null]));
    expect(verifyChain(events, keyring, [checkpointAt(events[1]!)])).toMatchObject({ ok: true, checked: 4 });
    expect(verifyChain(events, keyring)).toMatchObject({ ok: false, brokenAtSeq: 1 });
  });
});

describe("the fast event hash", () => {
  // The recipe as written down (and as every stored event was sealed): canonical JSON of the fields, HMAC-SHA-256.
  const reference = (prevHash: string, c: ChainedEventContent, k?: AuditKey) => {
    const fields = {
      id: c.id,
      at: c.at.toISOString(),
      actorId: c.actorId,
      actorLabel: c.actorLabel,
      actorType: c.actorType,
      action: c.action,
      targetType: c.targetType,
      targetId: c.targetId,
      targetLabel: c.targetLabel,
      tenantId: c.tenantId,
      before: c.before ?? null,
      after: c.after ?? null,
      requestId: c.requestId,
    };
    return k
      ? createHmac("sha256", k.secret)
          .update(`${prevHash}\n${canonicalJson({ ...fields, keyId: k.id })}`)
          .digest("hex")
      : createHash("sha256")
          .update(`${prevHash}\n${canonicalJson(fields)}`)
          .digest("hex");
  };
  const json = fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v)) as unknown);
  const contents = fc.record({
    id: fc.uuid(),
    at: fc.date({ min: new Date(0), max: new Date(Date.UTC(2100, 0, 1)), noInvalidDate: true }),
    actorId: fc.option(fc.string(), { nil: null }),
    actorLabel: fc.string(),
    actorType: fc.constantFrom("user" as const, "token" as const, "system" as const),
    action: fc.string(),
    targetType: fc.string(),
    targetId: fc.string(),
    targetLabel: fc.string(),
    tenantId: fc.option(fc.uuid(), { nil: null }),
    before: fc.option(json, { nil: undefined }),
    after: json,
    requestId: fc.string(),
    keyId: fc.constant(null),
  });

  it("computes exactly the HMAC of the canonical JSON, for any content and any key length", () => {
    const keys = [key, auditKeyring("x".repeat(100)).current, auditKeyring("é".repeat(40)).current];
    fc.assert(
      fc.property(contents, fc.string({ minLength: 1, maxLength: 64 }), fc.constantFrom(...keys), (c, prev, k) => {
        expect(eventHash(prev, c, k)).toBe(reference(prev, c, k));
        expect(legacyEventHash(prev, c)).toBe(reference(prev, c));
      }),
      { numRuns: 300 },
    );
  });
});
