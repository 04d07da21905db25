import { describe, expect, it } from "vitest";
import { canonicalJson } from "@/server/lib/canonical";
import { GENESIS_HASH, eventHash, verifyChain, type ChainedEvent } from "./chain";

function chain(n: number): ChainedEvent[] {
  const events: ChainedEvent[] = [];
  let prevHash = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const content = {
      id: `e${seq}`,
      at: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)),
      actorId: "u1",
      actorLabel: "alex@acme.example",
      actorType: "user" as const,
      action: "policy.updated",
      targetType: "policy",
      targetId: "p1",
      targetLabel: "payments-api",
      tenantId: null,
      before: { v: seq - 1 },
      after: { v: seq },
      requestId: `r${seq}`,
    };
    const hash = eventHash(prevHash, content);
    events.push({ ...content, seq, prevHash, hash });
    prevHash = hash;
  }
  return events;
}

describe("audit hash chain", () => {
  it("serialises objects independently of key order", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: null } })).toBe(canonicalJson({ a: { c: null, d: [1, { y: 2, z: 1 }] }, b: 1 }));
  });

  it("accepts an untouched chain and reports its head", () => {
    const events = chain(4);
    expect(verifyChain(events)).toEqual({ ok: true, checked: 4, headHash: events[3]!.hash });
  });

  it("finds the first modified event", () => {
    const events = chain(4);
    events[2] = { ...events[2]!, after: { v: 100 } };
    expect(verifyChain(events)).toMatchObject({ ok: false, brokenAtSeq: 3, checked: 2 });
  });

  it("finds a removed event", () => {
    const events = chain(4);
    events.splice(1, 1);
    expect(verifyChain(events)).toMatchObject({ ok: false, brokenAtSeq: 3 });
  });

  it("finds events out of order", () => {
    const events = chain(3);
    expect(verifyChain([events[0]!, events[2]!, events[1]!])).toMatchObject({ ok: false, brokenAtSeq: 3 });
  });
});
