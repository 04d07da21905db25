// The hand-written check of the decision point's common request (quickDecideInput) never disagrees with
// zod: it answers exactly what decideInput.parse returns (key order included), or leaves the input to zod.
import { describe, expect, it } from "vitest";
import { decideInput, decideOutputJson, quickDecideInput, type DecideOutput } from "./schemas";

const FLOW = { cluster: "prod-eu-1", source: { namespace: "payments", pod: "payments-api" }, destination: { ip: "8.8.8.8" }, port: 53 };

describe("quickDecideInput", () => {
  const accepted: unknown[] = [
    FLOW,
    { ...FLOW, protocol: "UDP" },
    { ...FLOW, protocol: "SCTP" },
    { port: 1, destination: { dns: "api.stripe.com" }, source: { pod: "a", namespace: "b" }, cluster: "c" },
    { ...FLOW, destination: { dns: "x".repeat(253) }, port: 65535 },
    { ...FLOW, cluster: "x".repeat(120), source: { ip: "::" } },
  ];
  const leftToZod: unknown[] = [
    null,
    [],
    "flow",
    { ...FLOW, protocol: null },
    { ...FLOW, protocol: "ICMP" },
    { ...FLOW, port: 0 },
    { ...FLOW, port: 65536 },
    { ...FLOW, port: 53.5 },
    { ...FLOW, port: "53" },
    { ...FLOW, port: Number.NaN },
    { ...FLOW, cluster: "" },
    { ...FLOW, cluster: "x".repeat(121) },
    { ...FLOW, colour: "blue" },
    { ...FLOW, time: "2026-12-06T09:00:00+01:00" },
    { ...FLOW, dryRun: { changeRequest: 1 } },
    { ...FLOW, source: { pod: "payments-api" } },
    { ...FLOW, source: { namespace: "payments", labels: { app: "payments-api" } } },
    { ...FLOW, source: { ip: "8.8.8.8", dns: "x.example" } },
    { ...FLOW, source: { namespace: "payments", ip: "8.8.8.8" } },
    { ...FLOW, source: { ip: "8" } },
    { ...FLOW, source: { ip: "8".repeat(46) } },
    { ...FLOW, destination: { dns: "" } },
    { ...FLOW, destination: { namespace: "", pod: "x" } },
    { ...FLOW, destination: { namespace: "payments", pod: "x".repeat(254) } },
    { ...FLOW, destination: {} },
    { ...FLOW, destination: null },
    JSON.parse('{"cluster":"prod-eu-1","source":{"ip":"8.8.8.8"},"destination":{"ip":"8.8.8.8"},"port":53,"__proto__":{"x":1}}'),
    { cluster: "prod-eu-1", source: { ip: "8.8.8.8" }, destination: { ip: "8.8.8.8" }, protocol: "TCP", colour: "blue" },
  ];

  it("returns what zod returns for the common shapes, key order included", () => {
    for (const input of accepted) {
      const quick = quickDecideInput(input);
      expect(quick, JSON.stringify(input)).not.toBeNull();
      expect(JSON.stringify(quick)).toBe(JSON.stringify(decideInput.parse(input)));
    }
  });

  it("leaves everything else to zod, including every input zod refuses", () => {
    for (const input of leftToZod) expect(quickDecideInput(input), JSON.stringify(input)).toBeNull();
    // Whatever it leaves, it never accepts what zod refuses: the refusals above stay zod's.
    for (const input of [...accepted, ...leftToZod])
      if (!decideInput.safeParse(input).success) expect(quickDecideInput(input), JSON.stringify(input)).toBeNull();
  });
});

describe("decideOutputJson", () => {
  it("writes what JSON.stringify writes, for every shape of answer, and again from its cache", () => {
    const reasons = ['egress: [namespace] deny (data-warehouse/warehouse) "quoted" \\ \u2192 é', "ingress: [global] pass (rule r2)"];
    const outputs: DecideOutput[] = [
      { decision: "allow", reasons, release: 3, decisionId: "bd6761a9-40bb-4e9f-9cef-a3ed34a414c1", cluster: "prod-eu-1", cached: true },
      { decision: "deny", reasons, release: 0, decisionId: "bd6761a9-40bb-4e9f-9cef-a3ed34a414c2", cluster: 'odd "name"', cached: false },
      { decision: "allow", reasons: [], release: 7, decisionId: "x", cluster: "c", cached: true, stale: true },
      { decision: "deny", reasons: ["denied (fail closed)"], release: null, decisionId: "y", cluster: "(unknown)", cached: false },
      { decision: "allow", reasons, release: 2, decisionId: "z", cluster: "c", dryRun: { changeRequest: 12 }, cached: false },
    ];
    for (const output of [...outputs, ...outputs]) expect(decideOutputJson(output)).toBe(JSON.stringify(output));
  });
});
