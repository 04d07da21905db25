import { describe, expect, it, vi } from "vitest";
import { createEvaluator } from "@/server/policy/eval/evaluator";
import { lowerDocuments, type TargetCluster } from "@/server/policy/documents/lower";
import { emptyCluster } from "@/server/policy/model";
import { policyplaneDocument } from "@/server/policy/documents/schema";
import { inMemoryDocuments, readDocumentSources } from "@/server/policy/documents/read";
import { demoCluster, demoDocuments } from "@/server/policy/documents/__tests__/demo-cluster";
import { formatFinding, lint, type Finding } from "./lint";

const clusters = ["prod-eu-1", "prod-us-1", "staging-eu-1"].map(demoCluster);
const V = "policyplane.io/v1";
const doc = (d: unknown) => policyplaneDocument.parse(d);
const withDemo = (...extra: unknown[]) => [...demoDocuments(), ...inMemoryDocuments(extra.map(doc))];
const brief = (f: Finding[]) => f.map((x) => `${x.severity} ${x.id} ${x.document ?? ""} ${x.path}`.trim());

describe("lint", () => {
  it("finds only the deliberate platform-wide allows in the demo seed (metrics scrape, DNS, egress gateways)", () => {
    const findings = lint({ documents: demoDocuments(), clusters });
    expect(brief(findings)).toEqual([
      "info broad-allow Policy/observability spec.rules[1].peers[0]",
      "info broad-allow Policy/platform-dns spec.rules[0].peers[0]",
      "info broad-allow Policy/platform-egress-gateways spec.rules[0].peers[0]",
    ]);
  });

  it("warns when a rule needs what a cluster in its scope lacks, naming the cluster, and says nothing for unknown capabilities", () => {
    const egress = {
      apiVersion: V,
      kind: "Policy",
      metadata: { name: "needs-all" },
      spec: {
        tier: "global",
        priority: 60,
        subject: { tenant: "payments" },
        rules: [
          { direction: "egress", action: "allow", peers: [{ dns: "api.stripe.com" }], ports: [{ port: 443 }], via: "pci-egress" },
          { direction: "egress", action: "allow", peers: [{ cidr: "10.99.0.0/16" }], ports: [{ port: 443 }] },
        ],
      },
    };
    const able = { cni: "cilium", adminPolicyApi: "v1alpha1", istio: true } as const;
    const lacking = { cni: "calico", adminPolicyApi: "none", istio: false } as const;
    const capable = clusters.map((c) => ({ ...c, capabilities: able }));
    const capability = (cs: TargetCluster[]) =>
      lint({ documents: withDemo(egress), clusters: cs })
        .filter((f) => f.id === "capability" && f.document === "Policy/needs-all")
        .map((f) => `${f.severity} ${f.path}: ${f.message}`);
    expect(capability(capable)).toEqual([]);
    expect(capability(clusters)).toEqual([]);
    const one = capable.map((c) => (c.name === "prod-us-1" ? { ...c, capabilities: lacking } : c));
    expect(capability(one)).toEqual([
      "warning spec.tier: the global tier renders as admin network policies, which prod-us-1 (no AdminNetworkPolicy or ClusterNetworkPolicy CRDs) cannot enforce; install the CRDs there or narrow spec.scope",
      "warning spec.rules[0].peers[0]: egress to the DNS name api.stripe.com needs Cilium (toFQDNs), which prod-us-1 (CNI calico) lacks; the cluster cannot enforce this rule",
      "warning spec.rules[0].via: routing through the egress gateway pci-egress needs Istio, which prod-us-1 (no Istio) lacks; the traffic would not be routed through the gateway",
    ]);
    // A cluster out of the policy's scope does not count.
    const scoped = { ...egress, spec: { ...egress.spec, scope: { clusters: ["prod-eu-1"] } } };
    expect(
      lint({ documents: withDemo(scoped), clusters: one }).filter((f) => f.id === "capability" && f.document === "Policy/needs-all"),
    ).toEqual([]);
  });

  it("does not report an allow whose CIDR excepts the range a constraint denies", () => {
    const out = (except: string[]) => ({
      apiVersion: V,
      kind: "Policy",
      metadata: { name: `out-${except.length}` },
      spec: {
        tier: "global",
        priority: 50,
        subject: { tenant: "catalog" },
        rules: [{ direction: "egress", action: "allow", peers: [{ cidr: "0.0.0.0/0", except }], ports: [{ port: 443 }] }],
      },
    });
    const conflicts = lint({ documents: withDemo(out([]), out(["169.254.0.0/16"])), clusters }).filter(
      (f) => f.id === "constraint-conflict",
    );
    expect(brief(conflicts)).toEqual(["error constraint-conflict Policy/out-0 spec.rules[0].peers[0]"]);
  });

  it("flags a subject and a peer that select no workload", () => {
    const ghost = {
      apiVersion: V,
      kind: "Policy",
      metadata: { name: "ghost", tenant: "checkout" },
      spec: {
        tier: "namespace",
        subject: { namespaces: ["checkout"], podSelector: { matchLabels: { app: "chekout-web" } } },
        rules: [
          {
            direction: "egress",
            peers: [{ workloads: { namespaces: ["payments"], podSelector: { matchLabels: { app: "payment-api" } } } }],
          },
        ],
      },
    };
    const findings = lint({ documents: withDemo(ghost), clusters }).filter((f) => f.id === "no-match");
    expect(brief(findings)).toEqual(["warning no-match Policy/ghost spec.subject", "warning no-match Policy/ghost spec.rules[0].peers[0]"]);
    expect(findings[0]!.message).toMatch(
      /^the subject selects no workload in prod-eu-1, prod-us-1, staging-eu-1 \(within tenant checkout's namespaces\)/,
    );
  });

  it("flags an admin rule that an earlier rule shadows, as a warning when the action differs and info when it repeats", () => {
    const first = {
      apiVersion: V,
      kind: "Policy",
      metadata: { name: "deny-corp" },
      spec: {
        tier: "global",
        priority: 1,
        subject: {},
        rules: [{ direction: "egress", action: "deny", peers: [{ cidr: "172.16.0.0/12" }] }],
      },
    };
    const later = {
      apiVersion: V,
      kind: "Policy",
      metadata: { name: "allow-vpn" },
      spec: {
        tier: "cluster",
        priority: 1,
        subject: { tenant: "payments" },
        rules: [
          { direction: "egress", action: "allow", peers: [{ cidr: "172.16.4.0/24" }], ports: [{ port: 443 }] },
          { direction: "egress", action: "deny", peers: [{ cidr: "172.20.0.0/16" }] },
        ],
      },
    };
    const findings = lint({ documents: withDemo(first, later), clusters }).filter((f) => f.id === "shadowed");
    expect(brief(findings)).toEqual(["warning shadowed Policy/allow-vpn spec.rules[0]", "info shadowed Policy/allow-vpn spec.rules[1]"]);
    expect(findings[0]!.message).toMatch(/^never decides: Policy\/deny-corp rule 0 is evaluated first/);
  });

  it("does not call a rule shadowed when the earlier rule is narrower", () => {
    const first = {
      apiVersion: V,
      kind: "Policy",
      metadata: { name: "deny-one" },
      spec: {
        tier: "global",
        priority: 1,
        subject: {},
        rules: [{ direction: "egress", action: "deny", peers: [{ cidr: "172.16.4.0/24" }], ports: [{ port: 443 }] }],
      },
    };
    const later = {
      apiVersion: V,
      kind: "Policy",
      metadata: { name: "allow-corp" },
      spec: { tier: "cluster", subject: {}, rules: [{ direction: "egress", action: "allow", peers: [{ cidr: "172.16.0.0/12" }] }] },
    };
    expect(lint({ documents: withDemo(first, later), clusters }).filter((f) => f.id === "shadowed")).toEqual([]);
  });

  it("flags any-port egress to the world and every-namespace allows", () => {
    const broad = {
      apiVersion: V,
      kind: "Policy",
      metadata: { name: "yolo", tenant: "catalog" },
      spec: {
        tier: "namespace",
        subject: { namespaces: ["catalog"] },
        rules: [
          { direction: "egress", peers: [{ entity: "world" }] },
          { direction: "ingress", peers: [{ workloads: { namespaceSelector: {} } }] },
        ],
      },
    };
    expect(
      brief(lint({ documents: withDemo(broad), clusters }).filter((f) => f.id === "broad-allow" && f.document === "Policy/yolo")),
    ).toEqual(["warning broad-allow Policy/yolo spec.rules[0].peers[0]", "warning broad-allow Policy/yolo spec.rules[1].peers[0]"]);
  });

  it("reports an allow that a compliance constraint denies as an error, unless it goes via the exempt gateway", () => {
    const rule = (via?: string) => ({
      apiVersion: V,
      kind: "Policy",
      metadata: { name: `ledger-out${via ? `-${via}` : ""}`, tenant: "payments" },
      spec: {
        tier: "namespace",
        subject: { namespaces: ["payments"], podSelector: { matchLabels: { app: "ledger" } } },
        rules: [{ direction: "egress", peers: [{ dns: "api.stripe.com" }], ports: [{ port: 443 }], ...(via ? { via } : {}) }],
      },
    });
    const findings = lint({ documents: withDemo(rule(), rule("pci-egress"), rule("istio-egressgateway")), clusters }).filter(
      (f) => f.id === "constraint-conflict",
    );
    expect(brief(findings)).toEqual([
      "error constraint-conflict Policy/ledger-out spec.rules[0].peers[0]",
      "error constraint-conflict Policy/ledger-out-istio-egressgateway spec.rules[0].peers[0]",
    ]);
    expect(findings[1]!.message).toMatch(/routes through gateway istio-egressgateway, but the constraint only exempts pci-egress/);
    const outsidePci = {
      ...rule(),
      metadata: { name: "catalog-out", tenant: "catalog" },
      spec: { ...rule().spec, subject: { namespaces: ["catalog"] } },
    };
    expect(lint({ documents: withDemo(outsidePci), clusters }).filter((f) => f.id === "constraint-conflict")).toEqual([]);
  });

  it("reports an exception that a constraint overrides", () => {
    const exc = {
      apiVersion: V,
      kind: "Exception",
      metadata: { name: "creds" },
      spec: {
        subject: { tenant: "catalog" },
        direction: "egress",
        peers: [{ cidr: "169.254.0.0/16" }],
        ports: [{ port: 80 }],
        justification: "needs node credentials",
        expiresAt: "2099-01-01T00:00:00Z",
      },
    };
    expect(brief(lint({ documents: withDemo(exc), clusters }).filter((f) => f.id === "constraint-conflict"))).toEqual([
      "error constraint-conflict Exception/creds spec.peers[0]",
    ]);
  });

  it("flags tenant namespaces without a default deny, and stops once a default deny covers them", () => {
    const noBaseline = demoDocuments().filter((d) => d.document.metadata.name !== "baseline-default-deny");
    const findings = lint({ documents: noBaseline, clusters }).filter((f) => f.id === "tenant-no-default-deny");
    expect(findings.map((f) => f.message)).toContain(
      "tenant checkout: namespace checkout has no default deny for ingress and egress; add the namespace-default-deny template or a baseline deny covering it",
    );
    // Namespaces whose own policies select every pod in both directions (identity, search, ...) are isolated anyway.
    expect(findings.map((f) => f.message.split(":")[0])).toEqual([
      "tenant catalog",
      "tenant checkout",
      "tenant payments",
      "tenant payments",
    ]);
    const deny = doc({
      apiVersion: V,
      kind: "Policy",
      metadata: { name: "checkout-default-deny", tenant: "checkout" },
      spec: { tier: "namespace", subject: { namespaces: ["checkout"] }, isolate: ["ingress", "egress"], rules: [] },
    });
    const after = lint({ documents: [...noBaseline, ...inMemoryDocuments([deny])], clusters }).filter(
      (f) => f.id === "tenant-no-default-deny",
    );
    expect(after).toHaveLength(3);
    expect(after.some((f) => f.message.startsWith("tenant checkout:"))).toBe(false);
  });

  it("flags selectors on labels outside the taxonomy", () => {
    const taxonomy = {
      podLabels: { app: null, tier: ["frontend", "api", "backend", "data", "batch", "platform"], "k8s-app": ["kube-dns"] },
      namespaceLabels: { tenant: null, pci: ["true"] },
    };
    expect(lint({ documents: demoDocuments(), clusters, taxonomy }).filter((f) => f.id === "label-taxonomy")).toEqual([]);
    const off = {
      apiVersion: V,
      kind: "Policy",
      metadata: { name: "off-taxonomy" },
      spec: {
        tier: "global",
        subject: { podSelector: { matchLabels: { team: "a", tier: "gold" } } },
        rules: [{ direction: "ingress", action: "deny", peers: [{ workloads: { namespaceSelector: { matchLabels: { env: "dev" } } } }] }],
      },
    };
    const findings = lint({ documents: withDemo(off), clusters, taxonomy }).filter((f) => f.id === "label-taxonomy");
    expect(brief(findings)).toEqual([
      "warning label-taxonomy Policy/off-taxonomy spec.subject.podSelector.matchLabels.team",
      "warning label-taxonomy Policy/off-taxonomy spec.subject.podSelector.matchLabels.tier",
      "warning label-taxonomy Policy/off-taxonomy spec.rules[0].peers[0].workloads.namespaceSelector.matchLabels.env",
    ]);
    expect(findings[1]!.message).toBe(
      "pod label tier has value(s) gold outside the taxonomy (allowed: frontend, api, backend, data, batch, platform)",
    );
  });

  it("locates findings in YAML by file, line and column", () => {
    const text = `apiVersion: ${V}\nkind: Policy\nmetadata: {name: yolo, tenant: catalog}\nspec:\n  tier: namespace\n  subject: {namespaces: [catalog]}\n  rules:\n    - direction: egress\n      peers:\n        - entity: world\n`;
    const read = readDocumentSources([{ file: "yolo.yaml", text }]);
    const f = lint({ documents: read.documents }).find((x) => x.id === "broad-allow")!;
    expect(formatFinding(f)).toBe(
      "yolo.yaml:10:11: warning broad-allow: Policy/yolo spec.rules[0].peers[0]: allows egress to the whole internet on every port; list the ports (and prefer DNS names or CIDRs of the real destinations)",
    );
  });

  it("passes on what lowering reports for a cluster, such as a service that does not exist", () => {
    const typo = {
      apiVersion: V,
      kind: "Policy",
      metadata: { name: "typo", tenant: "checkout" },
      spec: {
        tier: "namespace",
        subject: { namespaces: ["checkout"] },
        rules: [{ direction: "egress", peers: [{ service: "payments/payment-api" }] }],
      },
    };
    const findings = lint({ documents: withDemo(typo), clusters }).filter((f) => f.id === "lowering");
    expect(findings.map((f) => f.message)).toEqual([
      "service payments/payment-api is not in cluster prod-eu-1; this peer matches nothing there",
      "service payments/payment-api is not in cluster prod-us-1; this peer matches nothing there",
      "service payments/payment-api is not in cluster staging-eu-1; this peer matches nothing there",
    ]);
  });

  it("flags an allow whose other side denies every flow it allows (the demo's batch jobs before they could reach the ledger)", () => {
    const before = demoDocuments().filter((d) => d.document.metadata.name !== "payments-batch");
    const findings = lint({ documents: before, clusters }).filter((f) => f.id === "one-sided-allow");
    expect(brief(findings)).toEqual(["warning one-sided-allow Policy/payments-backends spec.rules[1].peers[0]"]);
    expect(findings[0]!.message).toBe(
      'this ingress allow lets nothing through: its sources may not send any of the flows it allows (e.g. payments-batch/settlement-0 → payments/ledger-0 9090/TCP in prod-eu-1: Policy baseline-default-deny egress rule 1 "deny-egress" denies it); add the matching egress rule on the other side',
    );
  });
});

describe("lint orders admin rules as the evaluator decides them", () => {
  const shop: TargetCluster = {
    name: "c1",
    model: {
      ...emptyCluster(),
      namespaces: [{ name: "shop", labels: { tenant: "shop" } }],
      pods: [{ namespace: "shop", name: "web-0", labels: { app: "web" }, ports: [], ips: ["10.0.0.5"], hostNetwork: false }],
    },
  };
  /** A global policy allowing or denying egress from every pod to 192.0.2.0/24:443. */
  const admin = (name: string, action: "allow" | "deny", priority?: number) =>
    doc({
      apiVersion: V,
      kind: "Policy",
      metadata: { name },
      spec: {
        tier: "global",
        ...(priority !== undefined ? { priority } : {}),
        subject: {},
        rules: [{ direction: "egress", action, peers: [{ cidr: "192.0.2.0/24" }], ports: [{ port: 443 }] }],
      },
    });

  /** The earlier of two policies that match the same flows, according to lint and according to a decision. */
  function firstOf(a: ReturnType<typeof admin>, b: ReturnType<typeof admin>): { lint: string | undefined; evaluator: string | undefined } {
    const documents = inMemoryDocuments([a, b]);
    const shadowed = lint({ documents }).filter((f) => f.id === "shadowed");
    const lintFirst = /Policy\/(\S+) rule 0 is evaluated first/.exec(shadowed[0]?.message ?? "")?.[1];
    const ev = createEvaluator(shop.model, lowerDocuments(documents, shop).policies);
    const d = ev.decide({
      src: { kind: "pod", namespace: "shop", name: "web-0" },
      dst: { kind: "ip", ip: "192.0.2.7" },
      port: 443,
      protocol: "TCP",
    });
    return { lint: lintFirst, evaluator: d.ok ? d.value.egress.effects.at(-1)?.policy?.name : undefined };
  }

  it("places a policy without priority where the evaluator does, before and after explicit priorities", () => {
    for (const other of [0, 499, 501, 1000]) {
      const r = firstOf(admin("no-priority", "deny"), admin(`at-${other}`, "allow", other));
      expect(r.lint, `priority ${other}`).toBe(r.evaluator);
      expect(r.evaluator).toBe(other < 500 ? `at-${other}` : "no-priority");
    }
  });

  it("breaks equal priorities by name as the evaluator does, whatever the machine's locale", () => {
    // String.prototype.localeCompare follows the process's locale; emulate machines whose collation is not the code-unit order.
    for (const locale of ["da", "lt", "sk"]) {
      const collator = new Intl.Collator(locale);
      const spy = vi.spyOn(String.prototype, "localeCompare").mockImplementation(function (this: string, that: string) {
        return collator.compare(this, that);
      });
      try {
        for (const [x, y] of [
          ["aa-allow", "b-deny"],
          ["y-allow", "j-deny"],
          ["ch-allow", "i-deny"],
        ] as const) {
          const r = firstOf(admin(x, "allow", 100), admin(y, "deny", 100));
          expect(r.lint, `${locale}: ${x} vs ${y}`).toBe(r.evaluator);
        }
      } finally {
        spy.mockRestore();
      }
    }
  });
});
