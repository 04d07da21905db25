import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { DEMO_POLICIES } from "@/server/seed/demo-data";
import { documentToYaml, readPolicyYaml } from "@/lib/policy-yaml";
import { getIn, moveItem, newPeer, newPort, newRule, setIn, type Json, type Path } from "./form-model";
import { applyFormEdit } from "./yaml-patch";

const AUTHORED = `# Owned by the payments team; ask #payments before loosening.
apiVersion: policyplane.io/v1
kind: Policy
metadata:
  name: payments-out # keep in sync with the runbook
  tenant: payments
  description: "Payments API egress"
spec:
  tier: namespace
  subject:
    namespaces: [payments]
    podSelector:
      matchLabels:
        app: payments-api
  rules:
    # Stripe: card payments
    - name: to-stripe
      direction: egress
      action: allow
      peers:
        - dns: api.stripe.com # PSP
      ports:
        - port: 443 # TLS only
          protocol: TCP
    # The ledger records every payment
    - name: to-ledger
      direction: egress
      action: allow
      peers:
        - service: payments/ledger
`;

/** A form edit of the authored YAML: the patched text, checked to read back as exactly `next`. */
function edit(text: string, change: (doc: Json) => Json): { text: string; next: Json } {
  const before = readPolicyYaml(text).raw as Json;
  const next = change(before);
  const patched = applyFormEdit(text, next);
  expect(readPolicyYaml(patched).raw).toEqual(next);
  return { text: patched, next };
}

const lines = (text: string) => text.split("\n");
const commentsOf = (text: string) =>
  lines(text)
    .filter((l) => l.includes("#"))
    .map((l) => l.slice(l.indexOf("#")));

describe("a form edit applied to the authored YAML", () => {
  it("keeps comments above and beside untouched fields, and the author's layout", () => {
    const { text } = edit(AUTHORED, (d) => setIn(d, ["metadata", "description"], "Payments API egress (PCI)"));
    expect(commentsOf(text)).toEqual(commentsOf(AUTHORED));
    expect(text).toContain("namespaces: [payments]");
    // Only the changed line differs.
    const changed = lines(text).filter((l, i) => l !== lines(AUTHORED)[i]);
    expect(changed).toEqual(['  description: "Payments API egress (PCI)"']);
  });

  it("keeps the comment of a changed scalar", () => {
    const { text } = edit(AUTHORED, (d) => setIn(d, ["spec", "rules", 0, "ports", 0, "port"], 8443));
    expect(text).toContain("- port: 8443 # TLS only");
    const renamed = edit(AUTHORED, (d) => setIn(d, ["metadata", "name"], "payments-egress")).text;
    expect(renamed).toContain("name: payments-egress # keep in sync with the runbook");
  });

  it("writes a string that looks like a number with quotes, and a number typed into an empty string field without them", () => {
    const quoted = edit(AUTHORED, (d) => setIn(d, ["metadata", "description"], "443")).text;
    expect(quoted).toMatch(/description: "443"|description: '443'/);
    const blank = edit(AUTHORED, (d) => setIn(d, ["spec", "rules", 1, "ports"], [newPort()]));
    const filled = edit(blank.text, (d) => setIn(d, ["spec", "rules", 1, "ports", 0, "port"], 5432)).text;
    expect(filled).toMatch(/- port: 5432\n/);
  });

  it("adds a rule at the end and a field where the schema order puts it", () => {
    const added = edit(AUTHORED, (d) => setIn(d, ["spec", "rules", 2], newRule("ingress", "namespace"))).text;
    expect(commentsOf(added)).toEqual(commentsOf(AUTHORED));
    expect(added.indexOf("direction: ingress")).toBeGreaterThan(added.indexOf("service: payments/ledger"));
    const withPorts = edit(AUTHORED, (d) => setIn(d, ["spec", "rules", 1, "ports"], [{ port: 5432, protocol: "TCP" }])).text;
    const ledger = lines(withPorts).slice(lines(withPorts).findIndex((l) => l.includes("name: to-ledger")));
    expect(ledger.map((l) => l.trim().split(":")[0])).toEqual([
      "- name",
      "direction",
      "action",
      "peers",
      "- service",
      "ports",
      "- port",
      "protocol",
      "",
    ]);
    const isolated = edit(AUTHORED, (d) => setIn(d, ["spec", "isolate"], ["ingress"])).text;
    expect(isolated.indexOf("isolate:")).toBeGreaterThan(isolated.indexOf("app: payments-api"));
    expect(isolated.indexOf("isolate:")).toBeLessThan(isolated.indexOf("rules:"));
  });

  it("removes a rule with its comment and keeps the other rule's", () => {
    const { text } = edit(AUTHORED, (d) => setIn(d, ["spec", "rules", 0], undefined));
    expect(text).not.toContain("Stripe");
    expect(text).not.toContain("TLS only");
    expect(text).toContain("# The ledger records every payment\n    - name: to-ledger");
  });

  it("adds and removes peers and ports", () => {
    const added = edit(AUTHORED, (d) => setIn(d, ["spec", "rules", 0, "peers", 1], setIn(newPeer("dns"), ["dns"], "*.stripe.com"))).text;
    expect(added).toContain('- dns: api.stripe.com # PSP\n        - dns: "*.stripe.com"');
    const noPeer = edit(added, (d) => setIn(d, ["spec", "rules", 0, "peers", 0], undefined)).text;
    expect(noPeer).not.toContain("PSP");
    expect(noPeer).toContain("*.stripe.com");
    const twoPorts = edit(AUTHORED, (d) => setIn(d, ["spec", "rules", 0, "ports", 1], { port: 8443, protocol: "TCP" })).text;
    expect(twoPorts).toContain("- port: 443 # TLS only");
    const noPorts = edit(twoPorts, (d) => setIn(d, ["spec", "rules", 0, "ports"], undefined)).text;
    expect(noPorts).not.toContain("port:");
    expect(commentsOf(noPorts)).toEqual(commentsOf(AUTHORED).filter((c) => c !== "# TLS only"));
  });

  it("reorders rules, each keeping its comments", () => {
    const { text } = edit(AUTHORED, (d) => moveItem(d, ["spec", "rules"], 1, 0));
    const at = (s: string) => text.indexOf(s);
    expect(at("# The ledger records")).toBeLessThan(at("name: to-ledger"));
    expect(at("name: to-ledger")).toBeLessThan(at("# Stripe: card payments"));
    expect(at("# Stripe: card payments")).toBeLessThan(at("name: to-stripe"));
    expect(at("name: to-stripe")).toBeLessThan(at("# TLS only"));
  });

  it("writes an empty {} or [] that gains items as a block", () => {
    const empty = AUTHORED.replace("      matchLabels:\n        app: payments-api\n", "      matchLabels: {}\n");
    const { text } = edit(empty, (d) => setIn(d, ["spec", "subject", "podSelector", "matchLabels", "app"], "payments-api"));
    expect(text).toContain("      matchLabels:\n        app: payments-api\n");
  });

  it("replaces a value whose shape changes (a peer kind switched in the form)", () => {
    const { text } = edit(AUTHORED, (d) => setIn(d, ["spec", "rules", 1, "peers", 0], newPeer("workloads")));
    expect(text).toContain("workloads:\n            podSelector:\n              matchLabels: {}");
  });

  it("writes the document afresh when the YAML does not parse", () => {
    const next = readPolicyYaml(AUTHORED).raw as Json;
    expect(applyFormEdit("kind: [unclosed\n", next)).toBe(documentToYaml(next));
    expect(applyFormEdit("", next)).toBe(documentToYaml(next));
  });

  it("reads back as exactly the form's document after any sequence of form edits to a commented demo policy", () => {
    const leafPaths = (value: unknown, path: Path = []): Path[] =>
      Array.isArray(value)
        ? value.flatMap((v, i) => leafPaths(v, [...path, i]))
        : value && typeof value === "object"
          ? Object.entries(value).flatMap(([k, v]) => leafPaths(v, [...path, k]))
          : [path];
    const scalar = fc.oneof(
      fc.constantFrom("", "443", "true", "null", "a: b", "# not a comment", "*.x.io", "x y"),
      fc.integer({ min: 0, max: 70000 }),
      fc.boolean(),
    );
    const op = fc.oneof(
      fc.record({ kind: fc.constant("set" as const), pick: fc.nat(), value: scalar }),
      fc.record({ kind: fc.constant("remove" as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant("move" as const), from: fc.nat(5), to: fc.nat(5) }),
      fc.record({ kind: fc.constant("addRule" as const), direction: fc.constantFrom("ingress" as const, "egress" as const) }),
    );
    fc.assert(
      fc.property(fc.nat(DEMO_POLICIES.length - 1), fc.array(op, { maxLength: 8 }), (which, ops) => {
        let text = lines(documentToYaml(DEMO_POLICIES[which]!.document))
          .map((l, i) => `${" ".repeat(l.length - l.trimStart().length)}# note ${i}\n${l}`)
          .join("\n");
        let doc = readPolicyYaml(text).raw as Json;
        for (const o of ops) {
          const paths = leafPaths(doc).filter((p) => p.length > 1);
          if (o.kind === "set" && paths.length) doc = setIn(doc, paths[o.pick % paths.length]!, o.value);
          else if (o.kind === "remove" && paths.length) doc = setIn(doc, paths[o.pick % paths.length]!, undefined);
          else if (o.kind === "move" && o.from < ((getIn(doc, ["spec", "rules"]) as Json[] | undefined)?.length ?? 0))
            doc = moveItem(doc, ["spec", "rules"], o.from, o.to);
          else if (o.kind === "addRule" && Array.isArray(getIn(doc, ["spec", "rules"])))
            doc = setIn(doc, ["spec", "rules", (getIn(doc, ["spec", "rules"]) as Json[]).length], newRule(o.direction, "namespace"));
          text = applyFormEdit(text, doc);
          expect(parse(text)).toEqual(doc);
        }
        expect(text.startsWith("# note 0\n")).toBe(true);
      }),
      { numRuns: 100 },
    );
  }, 30_000);
});
