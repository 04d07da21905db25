import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { z } from "zod";
import { demoCluster, demoDocuments } from "@/server/policy/documents/__tests__/demo-cluster";
import { calicoSelector, renderStaged, STAGED_NOT_SUPPORTED, stagedYaml } from "./calico-staged";
import { compileDocuments } from "./compile";

// The Calico policy shape, strict (an unknown field fails), from the fields the Calico documentation's examples use
// (../shared/fixtures/calico, tigera/docs @ f2a27624) plus `stagedAction` of the staged kinds' reference.
const selector = z.string().regex(/^(all\(\)|!?has\([\w./-]+\)|[\w./-]+ (==|!=|in|not in) .+)( && .+)*$/, "a Calico selector");
const entity = z
  .object({
    selector: selector.optional(),
    namespaceSelector: selector.optional(),
    nets: z.array(z.string().regex(/^[0-9a-f.:]+\/\d+$/)).optional(),
    notNets: z.array(z.string().regex(/^[0-9a-f.:]+\/\d+$/)).optional(),
    ports: z.array(z.union([z.number().int().min(1).max(65535), z.string().regex(/^(\d+:\d+|[a-z0-9-]+)$/)])).optional(),
  })
  .strict();
const rule = z
  .object({
    action: z.enum(["Allow", "Deny", "Pass"]),
    protocol: z.enum(["TCP", "UDP", "SCTP"]).optional(),
    source: entity.optional(),
    destination: entity.optional(),
    metadata: z.object({ annotations: z.record(z.string(), z.string()) }).optional(),
  })
  .strict()
  // Calico refuses ports without a protocol that has ports.
  .refine((r) => !(r.destination?.ports || r.source?.ports) || r.protocol !== undefined, "ports need a protocol");
const calicoPolicy = (kinds: [string, ...string[]], namespaced: boolean) =>
  z
    .object({
      apiVersion: z.literal("projectcalico.org/v3"),
      kind: z.enum(kinds),
      metadata: z
        .object({
          name: z.string().regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/),
          namespace: namespaced ? z.string().min(1) : z.undefined().optional(),
          labels: z.record(z.string(), z.string()).optional(),
          annotations: z.record(z.string(), z.string()).optional(),
        })
        .strict(),
      spec: z
        .object({
          stagedAction: z.enum(["Set", "Delete"]).optional(),
          tier: z.string().optional(),
          order: z.number().optional(),
          selector: selector.optional(),
          namespaceSelector: namespaced ? z.undefined().optional() : selector.optional(),
          types: z.array(z.enum(["Ingress", "Egress"])).optional(),
          ingress: z.array(rule).optional(),
          egress: z.array(rule).optional(),
        })
        .strict(),
    })
    .strict();
const stagedNetworkPolicy = calicoPolicy(["StagedNetworkPolicy"], true);
const stagedGlobalNetworkPolicy = calicoPolicy(["StagedGlobalNetworkPolicy"], false);

const FIXTURES = join(process.cwd(), "server", "policy", "__fixtures__", "calico");
const fixture = (file: string) => parse(readFileSync(join(FIXTURES, file), "utf8")) as Record<string, unknown>;

const eu = demoCluster("prod-eu-1");
const docsNamed = (...names: string[]) => demoDocuments().filter((d) => names.includes(d.document.metadata.name));

describe("staged (audit-only) rendering for Calico", () => {
  it("checks its shape against the Calico documentation's own policies (the schema below is grounded in them)", () => {
    for (const file of ["gnp-devops-stage-env-tier-order.yaml", "gnp-deny-app-policy-allow-dns.yaml", "gnp-default-tier-default-deny.yaml"])
      expect(calicoPolicy(["GlobalNetworkPolicy"], false).safeParse(fixture(file)).error).toBeUndefined();
    const np = fixture("np-calico-allow-tcp-6379-namespaceselector.yaml");
    // That example's rule pairs a pod selector with a namespaceSelector, which a namespaced policy's rule may do.
    expect(calicoPolicy(["NetworkPolicy"], true).safeParse(np).error).toBeUndefined();
  });

  it("renders a namespace-tier policy as a StagedNetworkPolicy in its namespace: its selector, directions, and one rule per peer and protocol", () => {
    const r = renderStaged(docsNamed("cart-redis"), eu, { cni: "calico", release: "7" });
    expect(r.notes).toEqual([]);
    expect(r.objects).toHaveLength(1);
    const o = r.objects[0]!.object;
    expect(stagedNetworkPolicy.safeParse(o).error).toBeUndefined();
    expect(o.metadata).toMatchObject({ name: "default.cart-redis", namespace: "checkout" });
    expect(o.metadata.annotations).toMatchObject({ "policyplane.io/staged": "audit-only", "policyplane.io/release": "7" });
    expect(o.spec).toEqual({
      stagedAction: "Set",
      tier: "default",
      order: 1000,
      selector: "app == 'cart-redis'",
      types: ["Ingress"],
      ingress: [
        {
          action: "Allow",
          protocol: "TCP",
          source: { selector: "app == 'cart'", namespaceSelector: "kubernetes.io/metadata.name == 'checkout'" },
          destination: { ports: ["redis"] },
        },
      ],
    });
    expect(r.objects[0]!.path).toBe("prod-eu-1/checkout/stagednetworkpolicy-default.cart-redis.yaml");
  });

  it("renders constraints and admin tiers as StagedGlobalNetworkPolicy ordered as the compiler orders them, and every demo policy in a valid shape", () => {
    const all = renderStaged(demoDocuments(), eu, { cni: "calico", release: "7" });
    const compiled = compileDocuments(demoDocuments(), eu, { release: "7" });
    expect(all.objects.length).toBeGreaterThan(10);
    for (const { object } of all.objects) {
      const schema = object.kind === "StagedNetworkPolicy" ? stagedNetworkPolicy : stagedGlobalNetworkPolicy;
      expect(schema.safeParse(object).error, `${object.kind} ${object.metadata.name}`).toBeUndefined();
    }
    const global = all.objects.map((o) => o.object).filter((o) => o.kind === "StagedGlobalNetworkPolicy");
    // The staged objects keep the enforced AdminNetworkPolicies' precedence: sorted by order, the same sources as by priority.
    const source = (o: { metadata: { annotations: Record<string, string> } }) => o.metadata.annotations["policyplane.io/source"];
    const anps = compiled.objects
      .map((o) => o.object)
      .filter((o) => o.kind === "AdminNetworkPolicy" && !source(o)?.startsWith("Exception/"));
    const byPriority = [...anps].sort((a, b) => Number(a.spec.priority) - Number(b.spec.priority)).map(source);
    const stagedAdmin = global.filter((o) => anps.some((a) => source(a) === source(o)));
    const byOrder = [...stagedAdmin]
      .sort((a, b) => Number(a.spec.order) - Number(b.spec.order) || a.metadata.name.localeCompare(b.metadata.name))
      .map(source);
    expect(byOrder).toEqual(byPriority);
    expect(byOrder.length).toBeGreaterThan(3);
    expect(global.find((o) => o.metadata.name === "default.global-allow-dns")!.spec.order).toBeCloseTo(100.01);
    const constraint = global.find((o) => o.metadata.annotations["policyplane.io/source"]?.startsWith("ComplianceConstraint/"))!;
    expect(constraint.spec.order).toBe(0);
    expect(constraint.spec.egress ?? constraint.spec.ingress).toEqual(
      expect.arrayContaining([expect.objectContaining({ action: "Deny" })]),
    );
    // What Calico cannot say is named, not dropped: the demo's DNS-name peers.
    expect(all.notes.some((n) => /api\.stripe\.com|\*\.|dns/i.test(n) && /not staged/.test(n))).toBe(true);
    // Deterministic output.
    expect(stagedYaml(renderStaged([...demoDocuments()].reverse(), eu, { cni: "calico", release: "7" }).objects)).toBe(
      stagedYaml(all.objects),
    );
  });

  it("renders nothing for Cilium, plain NetworkPolicy/ANP or an unknown CNI, and says why (nothing is enforced either)", () => {
    const docs = docsNamed("cart-redis");
    expect(renderStaged(docs, eu, { cni: "cilium" })).toEqual({ objects: [], notes: [STAGED_NOT_SUPPORTED.cilium] });
    expect(STAGED_NOT_SUPPORTED.cilium).toMatch(/per endpoint/);
    expect(renderStaged(docs, eu, { cni: "other" })).toEqual({ objects: [], notes: [STAGED_NOT_SUPPORTED.other] });
    expect(renderStaged(docs, eu, { cni: null }).notes[0]).toMatch(/not known/);
    expect(renderStaged([], eu, { cni: "calico" })).toEqual({ objects: [], notes: [] });
  });

  it("writes label selectors in Calico's selector syntax", () => {
    expect(calicoSelector({ matchLabels: {}, matchExpressions: [] })).toBe("all()");
    expect(
      calicoSelector({
        matchLabels: { tier: "api", app: "it's" },
        matchExpressions: [
          { key: "env", operator: "In", values: ["a", "b"] },
          { key: "zone", operator: "NotIn", values: ["x"] },
          { key: "pci", operator: "Exists", values: [] },
          { key: "legacy", operator: "DoesNotExist", values: [] },
        ],
      }),
    ).toBe("app == 'it\\'s' && tier == 'api' && env in {'a', 'b'} && zone not in {'x'} && has(pci) && !has(legacy)");
  });
});
