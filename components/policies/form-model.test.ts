import { describe, expect, it } from "vitest";
import { DEMO_POLICIES } from "@/server/seed/demo-data";
import { documentToYaml, readPolicyYaml } from "@/lib/policy-yaml";
import {
  blankPolicy,
  egressAllowPolicy,
  getIn,
  moveItem,
  newPeer,
  newPort,
  newRule,
  parseEndpoint,
  parsePort,
  peerKind,
  rowsToLabels,
  setIn,
  splitList,
  type Json,
} from "./form-model";
import { sideBySide } from "./diff-model";

/** Form edit → YAML → what the YAML view reads back (raw and validated). */
function roundTrip(doc: Json) {
  const yaml = documentToYaml(doc);
  const read = readPolicyYaml(yaml);
  return { yaml, read };
}

function policyWithRule(rule: Json): Json {
  let doc: Json = blankPolicy("payments");
  doc = setIn(doc, ["metadata", "name"], "round-trip");
  return setIn(doc, ["spec", "rules", 0], rule);
}

describe("form ↔ YAML round trip", () => {
  const peers: [string, Json][] = [
    [
      "workloads",
      setIn(newPeer("workloads"), ["workloads"], {
        tenant: "checkout",
        namespaces: ["checkout"],
        namespaceSelector: { matchExpressions: [{ key: "pci", operator: "NotIn", values: ["true"] }] },
        podSelector: {
          matchLabels: rowsToLabels([{ key: "app", value: "checkout-api" }]),
          matchExpressions: [{ key: "tier", operator: "Exists" }],
        },
      }),
    ],
    ["service", setIn(newPeer("service"), ["service"], "payments/ledger")],
    ["cidr", setIn(setIn(newPeer("cidr"), ["cidr"], "10.0.0.0/8"), ["except"], splitList("10.1.0.0/16, 10.2.0.0/16"))],
    ["dns", setIn(newPeer("dns"), ["dns"], "api.stripe.com")],
    ["dns wildcard", setIn(newPeer("dns"), ["dns"], "*.stripe.com")],
    ["entity", setIn(newPeer("entity"), ["entity"], "kube-dns")],
  ];
  for (const [label, peer] of peers) {
    it(`keeps a ${label} peer exactly`, () => {
      const rule = setIn(
        setIn(newRule("egress", "namespace"), ["peers", 0], peer),
        ["ports"],
        [{ port: parsePort("443"), protocol: "TCP" }],
      );
      const doc = policyWithRule(rule);
      const { read } = roundTrip(doc);
      expect(read.errors).toEqual([]);
      expect(read.raw).toEqual(doc);
      expect(getIn(read.document, ["spec", "rules", 0, "peers", 0])).toEqual(peer);
      expect(peerKind(getIn(read.raw, ["spec", "rules", 0, "peers", 0]))).toBe(label.split(" ")[0]);
    });
  }

  const ports: [string, Json][] = [
    ["a TCP port number", { port: parsePort("8080"), protocol: "TCP" }],
    ["a UDP port", { port: parsePort("53"), protocol: "UDP" }],
    ["an SCTP port", { port: parsePort("3868"), protocol: "SCTP" }],
    ["a port range with endPort", { port: parsePort("30000"), endPort: parsePort("32767"), protocol: "TCP" }],
    ["a named port", { port: parsePort("http-metrics"), protocol: "TCP" }],
  ];
  for (const [label, port] of ports) {
    it(`keeps ${label} exactly`, () => {
      const rule = setIn(setIn(newRule("ingress", "namespace"), ["peers", 0], { entity: "cluster" }), ["ports"], [port]);
      const doc = policyWithRule(rule);
      const { read } = roundTrip(doc);
      expect(read.errors).toEqual([]);
      expect(read.raw).toEqual(doc);
      expect(getIn(read.document, ["spec", "rules", 0, "ports", 0])).toEqual(port);
    });
  }

  it("keeps an admin-tier policy with deny/pass rules, priority, scope and via, in rule order", () => {
    let doc = setIn(blankPolicy(null, "global"), ["metadata", "name"], "admin-order");
    doc = setIn(doc, ["spec", "priority"], 40);
    doc = setIn(doc, ["spec", "scope"], { regions: ["eu-west"], clusters: ["prod-eu-1"] });
    doc = setIn(doc, ["spec", "rules", 0], {
      ...(newRule("egress", "global") as object),
      name: "deny-world",
      action: "deny",
      peers: [{ entity: "world" }],
    } as Json);
    doc = setIn(doc, ["spec", "rules", 1], {
      name: "via-gw",
      direction: "egress",
      action: "allow",
      peers: [{ dns: "*.stripe.com" }],
      ports: [newPort()],
      via: "pci-egress",
    });
    doc = setIn(doc, ["spec", "rules", 1, "ports", 0, "port"], parsePort("443"));
    doc = setIn(doc, ["spec", "rules", 2], {
      name: "pass-tenant",
      direction: "ingress",
      action: "pass",
      peers: [{ workloads: { tenant: "payments" } }],
    });
    doc = moveItem(doc, ["spec", "rules"], 1, 0);
    const { read } = roundTrip(doc);
    expect(read.errors).toEqual([]);
    expect(read.raw).toEqual(doc);
    expect((getIn(read.document, ["spec", "rules"]) as { name: string }[]).map((r) => r.name)).toEqual([
      "via-gw",
      "deny-world",
      "pass-tenant",
    ]);
  });

  it("keeps a compliance constraint", () => {
    const doc: Json = {
      apiVersion: "policyplane.io/v1",
      kind: "ComplianceConstraint",
      metadata: { name: "pci-world", owner: "security-committee" },
      spec: {
        subject: { namespaceSelector: { matchLabels: { pci: "true" } } },
        direction: "egress",
        peers: [{ entity: "world" }, { cidr: "0.0.0.0/0", except: ["10.0.0.0/8"] }],
        ports: [{ port: 443, protocol: "TCP" }],
        exceptVia: "pci-egress",
        rationale: "PCI DSS 1.3.4",
      },
    };
    const { read } = roundTrip(doc);
    expect(read.errors).toEqual([]);
    expect(read.raw).toEqual(doc);
  });

  it("round-trips every seeded demo policy unchanged", () => {
    for (const { document } of DEMO_POLICIES) {
      const { read } = roundTrip(document as unknown as Json);
      expect(read.errors, document.metadata.name).toEqual([]);
      expect(read.raw).toEqual(JSON.parse(JSON.stringify(document)));
    }
  });

  it("writes YAML in the schema's order, whatever order the form (or jsonb) holds", () => {
    const yaml = documentToYaml({
      spec: { rules: [], subject: {}, tier: "namespace" },
      metadata: { tenant: "payments", name: "x" },
      kind: "Policy",
      apiVersion: "policyplane.io/v1",
    });
    expect(
      yaml
        .split("\n")
        .filter((l) => /^\s*\w+:/.test(l))
        .map((l) => l.trim().split(":")[0]),
    ).toEqual(["apiVersion", "kind", "metadata", "name", "tenant", "spec", "tier", "subject", "rules"]);
  });

  it("shows a YAML edit in the form, and a form edit in the YAML", () => {
    const doc = policyWithRule(setIn(newRule("egress", "namespace"), ["ports"], [{ port: 8080, protocol: "TCP" }]));
    const yaml = documentToYaml(doc);
    const edited = readPolicyYaml(yaml.replace("port: 8080", "port: 9090"));
    expect(getIn(edited.raw, ["spec", "rules", 0, "ports", 0, "port"])).toBe(9090);
    const fromForm = documentToYaml(setIn(doc, ["spec", "rules", 0, "direction"], "ingress"));
    expect(fromForm).toContain("direction: ingress");
    expect(fromForm).not.toContain("direction: egress");
  });

  it("reports bad values from the form at their YAML line: CIDR /33, port 70000, a misplaced wildcard", () => {
    const rule: Json = {
      direction: "egress",
      action: "allow",
      peers: [{ cidr: "10.0.0.0/33" }, { dns: "api.*.stripe.com" }] as Json[],
      ports: [{ port: parsePort("70000"), protocol: "TCP" }],
    };
    const { yaml, read } = roundTrip(policyWithRule(rule));
    const lines = yaml.split("\n");
    const lineOf = (text: string) => lines.findIndex((l) => l.includes(text)) + 1;
    expect(read.document).toBeNull();
    expect(read.errors.map((e) => [e.path, e.line])).toEqual(
      expect.arrayContaining([
        ["spec.rules[0].peers[0].cidr", lineOf("10.0.0.0/33")],
        ["spec.rules[0].peers[1].dns", lineOf("api.*.stripe.com")],
        ["spec.rules[0].ports[0].port", lineOf("70000")],
      ]),
    );
  });

  it("pauses on YAML that does not parse, with the line of the problem", () => {
    const read = readPolicyYaml("apiVersion: policyplane.io/v1\nkind: Policy\nmetadata:\n  name: [x\n");
    expect(read.raw).toBeNull();
    expect(read.errors[0]!.line).toBeGreaterThan(0);
  });
});

describe("form operations", () => {
  it("removes fields and list items with undefined, and moves only within bounds", () => {
    const doc = { a: [1, 2, 3], b: { c: 1 } } as Json;
    expect(setIn(doc, ["a", 1], undefined)).toEqual({ a: [1, 3], b: { c: 1 } });
    expect(setIn(doc, ["b", "c"], undefined)).toEqual({ a: [1, 2, 3], b: {} });
    expect(moveItem(doc, ["a"], 0, 2)).toEqual({ a: [2, 3, 1], b: { c: 1 } });
    expect(moveItem(doc, ["a"], 0, 5)).toBe(doc);
  });

  it("reads port fields: digits are numbers, anything else a port name", () => {
    expect(parsePort(" 443 ")).toBe(443);
    expect(parsePort("https")).toBe("https");
  });

  it("drafts an egress allow from a graph link, invalid until the port is filled in", () => {
    expect(parseEndpoint("checkout/cart")).toEqual({ namespace: "checkout", workload: "cart" });
    expect(parseEndpoint("dns:api.stripe.com")).toEqual({ dns: "api.stripe.com" });
    expect(parseEndpoint("nonsense")).toBeNull();
    const doc = egressAllowPolicy(
      { namespace: "checkout", workload: "cart" },
      { namespace: "payments", workload: "payments-api" },
      "checkout",
    );
    const empty = readPolicyYaml(documentToYaml(doc));
    expect(empty.errors.map((e) => e.path)).toEqual(["spec.rules[0].ports[0].port"]);
    const filled = readPolicyYaml(documentToYaml(setIn(doc, ["spec", "rules", 0, "ports", 0, "port"], 8080)));
    expect(filled.errors).toEqual([]);
    expect(filled.document).toMatchObject({
      metadata: { name: "cart-to-payments-api", tenant: "checkout" },
      spec: { rules: [{ direction: "egress", peers: [{ workloads: { namespaces: ["payments"] } }] }] },
    });
  });

  it("drafts from the source alone: the egress rule waits for its destination and port", () => {
    const doc = egressAllowPolicy({ namespace: "checkout", workload: "cart" }, null, "checkout");
    const read = readPolicyYaml(documentToYaml(doc));
    expect(read.raw).toMatchObject({
      metadata: { name: "cart-egress", tenant: "checkout" },
      spec: {
        subject: { namespaces: ["checkout"], podSelector: { matchLabels: { app: "cart" } } },
        rules: [{ direction: "egress", peers: [] }],
      },
    });
    const withPeer = setIn(
      setIn(doc, ["spec", "rules", 0, "peers"], [{ dns: "api.stripe.com" }]),
      ["spec", "rules", 0, "ports", 0, "port"],
      443,
    );
    expect(readPolicyYaml(documentToYaml(withPeer)).errors).toEqual([]);
  });
});

describe("side-by-side diff", () => {
  it("pairs a changed line across and numbers each side", () => {
    const rows = sideBySide("a\nb\nc\n", "a\nB\nc\nd\n");
    expect(rows.map((r) => [r.left?.text ?? null, r.left?.kind ?? null, r.right?.text ?? null, r.right?.kind ?? null])).toEqual([
      ["a", "same", "a", "same"],
      ["b", "removed", "B", "added"],
      ["c", "same", "c", "same"],
      [null, null, "d", "added"],
    ]);
    expect(rows.at(-1)!.right!.number).toBe(4);
  });

  it("shows a new policy as all added", () => {
    expect(sideBySide("", "x\ny\n").every((r) => r.left === null && r.right?.kind === "added")).toBe(true);
  });
});
