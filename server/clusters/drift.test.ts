import { describe, expect, it } from "vitest";
import type { ObservedObject } from "@/db/schema/clusters";
import { stringify } from "yaml";
import { computeDrift, diffFields, normalizeObject, objectKey } from "./drift";
import { clusterDrift, desiredObjects, parseObserved, withEffects } from "./engine";
import { readManifestSources } from "@/server/policy/read/manifests";
import { createEvaluator } from "@/server/policy/eval/evaluator";
import { computeReachability } from "@/server/policy/eval/reachability";
import { PLATFORM_DEFAULT_ALL, type ClusterModel } from "@/server/policy/model";
import { STAGED_ANNOTATION } from "@/server/policy/compile/calico-staged";
import type { ReleaseRenderInput } from "@/server/releases/render";
import { issue10Documents, issue10Model } from "@/server/testing/issue-10";

const np = (name: string, spec: unknown, extra: Record<string, unknown> = {}): ObservedObject => ({
  apiVersion: "networking.k8s.io/v1",
  kind: "NetworkPolicy",
  metadata: { name, namespace: "shop", ...extra },
  spec,
});

describe("drift", () => {
  it("ignores what the API server sets, and kubectl's last-applied annotation", () => {
    const served = np(
      "a",
      { podSelector: {} },
      {
        uid: "u",
        resourceVersion: "7",
        generation: 2,
        creationTimestamp: "2026-01-01T00:00:00Z",
        managedFields: [{ manager: "kubectl" }],
        annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{}" },
      },
    );
    expect(normalizeObject({ ...served, status: { x: 1 } })).toEqual(np("a", { podSelector: {} }));
    expect(computeDrift([np("a", { podSelector: {} })], [served])).toEqual([]);
  });

  it("finds missing, unmanaged and modified objects, and leaves inventory kinds alone", () => {
    const desired = [
      np("keep", { podSelector: {} }),
      np("gone", { podSelector: {} }),
      np("edit", { podSelector: {}, ingress: [{ ports: [{ port: 80 }] }] }),
    ];
    const observed = [
      np("keep", { podSelector: {} }),
      np("edit", { podSelector: {}, ingress: [{ ports: [{ port: 8080 }] }] }),
      np("extra", { podSelector: {}, ingress: [{}] }),
      { apiVersion: "v1", kind: "Namespace", metadata: { name: "shop" } } as ObservedObject,
    ];
    const drift = computeDrift(desired, observed);
    // Sorted by object: same kind and namespace here, so by name.
    expect(drift.map((d) => `${d.type} ${d.name}`)).toEqual(["modified edit", "unmanaged extra", "missing gone"]);
    expect(drift.find((d) => d.type === "modified")!.diff).toEqual([
      { path: "spec.ingress[0].ports[0].port", desired: 80, observed: 8080 },
    ]);
  });

  it("reports a list of another length whole, and a key that is no identifier quoted", () => {
    expect(diffFields({ a: [1, 2] }, { a: [1] })).toEqual([{ path: "a", desired: [1, 2], observed: [1] }]);
    expect(diffFields({ m: { "x y": 1 } }, { m: {} })).toEqual([{ path: 'm["x y"]', desired: 1, observed: null }]);
  });

  it("keeps the good objects of a kubectl List and names each bad one by its place and line", () => {
    const text = `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Namespace
  metadata: {name: shop}
- kind: NetworkPolicy
  metadata: {name: no-api-version}
- 42
- apiVersion: networking.k8s.io/v1
  kind: NetworkPolicy
  metadata: {name: Bad_Name}
`;
    const { objects, rejected } = parseObserved({ text });
    expect(objects.map((o) => o.metadata.name)).toEqual(["shop"]);
    expect(rejected).toEqual([
      { index: 1, line: 7, message: expect.stringContaining("apiVersion is missing") },
      { index: 2, line: 9, message: expect.stringContaining("got number") },
      { index: 3, line: 10, message: expect.stringContaining("metadata.name must be a Kubernetes name") },
    ]);
  });

  it("reads the agent's JSON List as the YAML reader does, and still names a bad object by its line", () => {
    const items = [
      { apiVersion: "v1", kind: "Namespace", metadata: { name: "shop", labels: { on: "yes" } } },
      np("a", { podSelector: {}, ingress: [{ ports: [{ port: 80 }, { port: "http" }] }] }),
    ];
    const json = JSON.stringify({ apiVersion: "v1", kind: "List", items }, null, 2);
    expect(parseObserved({ text: json })).toEqual({ objects: items, rejected: [] });
    expect(parseObserved({ text: json }).objects).toEqual(parseObserved({ text: " " + json.replace(/^\{/, "{ ") }).objects);
    const bad = JSON.stringify({ apiVersion: "v1", kind: "List", items: [...items, { kind: "Pod", metadata: { name: "p" } }] }, null, 2);
    const { objects, rejected } = parseObserved({ text: bad });
    expect(objects).toEqual(items);
    // The line where the bad object opens (its "{", just above its "kind").
    const opens = bad.split("\n").findIndex((l) => l.includes('"kind": "Pod"'));
    expect(rejected).toEqual([{ index: 2, line: opens, message: expect.stringContaining("apiVersion is missing") }]);
    expect(parseObserved({ text: "{".repeat(5000) }).rejected[0]!.message).toMatch(/deeper|nest/i);
  });

  it("refuses hostile nesting without blowing the stack", () => {
    const { objects, rejected } = parseObserved({ text: "[".repeat(5000) });
    expect(objects).toEqual([]);
    expect(rejected[0]!.message).toMatch(/deeper|nest/i);
  });
});

describe("a drift's effect", () => {
  const cluster = readManifestSources([
    {
      file: "inventory.yaml",
      text: `apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: web, ports: [{containerPort: 80}]}]}
`,
    },
  ]).cluster;
  const egressAll = np("egress-all", { podSelector: {}, policyTypes: ["Egress"], egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }] }] });
  const denyMetadata = {
    apiVersion: "policy.networking.k8s.io/v1alpha1",
    kind: "AdminNetworkPolicy",
    metadata: { name: "no-metadata" },
    spec: {
      priority: 10,
      subject: { namespaces: {} },
      egress: [{ name: "metadata", action: "Deny", to: [{ networks: ["169.254.169.254/32"] }] }],
    },
  } as ObservedObject;

  it("names the paths a missing deny opens, though only that object names the destination", () => {
    const drifts = computeDrift([egressAll, denyMetadata], [egressAll]);
    const [missing] = withEffects(cluster, [egressAll, denyMetadata], drifts);
    expect(missing!.type).toBe("missing");
    expect(missing!.effect!.closedCount).toBe(0);
    expect(missing!.effect!.opened.some((p) => p.startsWith("shop/web → 169.254.169.254/32"))).toBe(true);
  });

  it("finds no path change in a policy's label", () => {
    const labelled = { ...egressAll, metadata: { ...egressAll.metadata, labels: { by: "hand" } } };
    const [modified] = withEffects(cluster, [egressAll], computeDrift([egressAll], [labelled]));
    expect(modified).toMatchObject({ type: "modified", effect: { openedCount: 0, closedCount: 0 } });
  });
});

describe("a drift's effect, computed from shared readings", () => {
  const cluster = readManifestSources([
    {
      file: "inventory.yaml",
      text: ["shop", "bank"]
        .flatMap((ns) => [
          `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${ns}, labels: {team: ${ns}}}`,
          ...["web", "api", "db"].map(
            (app, i) => `apiVersion: v1
kind: Pod
metadata: {name: ${app}, namespace: ${ns}, labels: {app: ${app}}}
spec: {containers: [{name: c, image: i, ports: [{containerPort: ${[80, 8080, 5432][i]}, name: p}]}]}
status: {podIP: 10.0.${ns === "shop" ? 1 : 2}.${i + 1}}`,
          ),
        ])
        .join("\n---\n"),
    },
  ]).cluster;
  const own = (ns: string) => [
    { ...np("deny-all", { podSelector: {}, policyTypes: ["Ingress", "Egress"] }), metadata: { name: "deny-all", namespace: ns } },
    {
      ...np("web-to-api", {
        podSelector: { matchLabels: { app: "api" } },
        ingress: [{ from: [{ podSelector: { matchLabels: { app: "web" } } }], ports: [{ port: 8080 }] }],
      }),
      metadata: { name: "web-to-api", namespace: ns },
    },
    {
      ...np("web-egress", {
        podSelector: { matchLabels: { app: "web" } },
        policyTypes: ["Egress"],
        egress: [{ to: [{ podSelector: { matchLabels: { app: "api" } } }] }, { to: [{ ipBlock: { cidr: "203.0.113.0/24" } }] }],
      }),
      metadata: { name: "web-egress", namespace: ns },
    },
  ];
  const desired: ObservedObject[] = [...own("shop"), ...own("bank")];
  const at = (ns: string, name: string) => desired.find((o) => o.metadata.namespace === ns && o.metadata.name === name)!;
  const observed: ObservedObject[] = [
    // bank/deny-all missing; shop/web-to-api on another port; shop/web-egress only relabelled.
    ...desired.filter((o) => !(o.metadata.namespace === "bank" && o.metadata.name === "deny-all")),
  ].map((o) =>
    o === at("shop", "web-to-api")
      ? { ...o, spec: { ...(o.spec as object), ingress: [{ from: [{ namespaceSelector: {} }], ports: [{ port: 8080 }, { port: 5432 }] }] } }
      : o === at("shop", "web-egress")
        ? { ...o, metadata: { ...o.metadata, labels: { by: "hand" } } }
        : o,
  );
  observed.push(
    {
      ...np("allow-db", { podSelector: { matchLabels: { app: "db" } }, ingress: [{}] }),
      metadata: { name: "allow-db", namespace: "bank" },
    },
    {
      apiVersion: "policy.networking.k8s.io/v1alpha1",
      kind: "AdminNetworkPolicy",
      metadata: { name: "no-db-egress" },
      spec: {
        priority: 5,
        subject: { pods: { namespaceSelector: {}, podSelector: { matchLabels: { app: "web" } } } },
        egress: [
          { name: "db", action: "Deny", to: [{ pods: { namespaceSelector: {}, podSelector: { matchLabels: { app: "db" } } } }] },
          { name: "docs", action: "Allow", to: [{ networks: ["198.51.100.0/24"] }] },
        ],
      },
    } as ObservedObject,
  );

  /** What each effect was before the readings were shared: every variant's YAML read afresh, every graph computed. */
  function reference(objects: readonly ObservedObject[], externals: ClusterModel["externals"]) {
    const text = objects.map((o) => stringify(o, { lineWidth: 0 })).join("---\n");
    const read = readManifestSources([{ file: "objects.yaml", text }]);
    const graph = computeReachability(createEvaluator({ ...cluster, externals }, read.policies), { rationale: false });
    const label = new Map(graph.nodes.map((n) => [n.id, n.kind === "external" ? n.name : `${n.namespace}/${n.name}`]));
    return {
      nodes: new Set(graph.nodes.map((n) => n.id)),
      paths: new Map(
        graph.edges.flatMap((e) => e.ports.map((p) => [`${e.from}|${e.to}|${p}`, `${label.get(e.from)} → ${label.get(e.to)} ${p}`])),
      ),
    };
  }
  const only = (a: ReturnType<typeof reference>, b: ReturnType<typeof reference>) =>
    [...a.paths]
      .filter(
        ([k]) =>
          !b.paths.has(k) &&
          k
            .split("|")
            .slice(0, 2)
            .every((id) => b.nodes.has(id)),
      )
      .map(([, t]) => t)
      .sort();

  it("gives every kind of drift the paths a fresh reading of each variant gives", () => {
    const drifts = computeDrift(desired, observed);
    expect(drifts.map((d) => `${d.type} ${d.namespace ?? ""}/${d.name}`).sort()).toEqual([
      "missing bank/deny-all",
      "modified shop/web-egress",
      "modified shop/web-to-api",
      "unmanaged /no-db-egress",
      "unmanaged bank/allow-db",
    ]);
    const externals = [
      ...cluster.externals,
      { kind: "cidr" as const, cidr: "198.51.100.0/24" },
      { kind: "cidr" as const, cidr: "203.0.113.0/24" },
    ];
    const baseline = reference(desired, externals);
    const effects = withEffects(cluster, desired, drifts);
    let changed = 0;
    for (const d of effects) {
      const variant = [...desired.filter((o) => objectKey(o) !== d.objectKey), ...(d.observed ? [d.observed] : [])];
      const paths = reference(variant, externals);
      const opened = only(paths, baseline);
      const closed = only(baseline, paths);
      // Beyond 20 paths an effect names the first 20 and counts the rest.
      expect({ drift: d.objectKey, openedCount: d.effect!.openedCount, closedCount: d.effect!.closedCount }).toEqual({
        drift: d.objectKey,
        openedCount: opened.length,
        closedCount: closed.length,
      });
      if (opened.length <= 20) expect([...d.effect!.opened].sort()).toEqual(opened);
      expect(d.effect!.opened.every((p) => opened.includes(p)) && d.effect!.closed.every((p) => closed.includes(p))).toBe(true);
      expect([d.effect!.opened.length, d.effect!.closed.length]).toEqual([Math.min(20, opened.length), Math.min(20, closed.length)]);
      if (closed.length <= 20) expect([...d.effect!.closed].sort()).toEqual(closed);
      if (opened.length + closed.length > 0) changed++;
    }
    // The case is no trivial one: all but the relabelled policy change paths.
    expect(changed).toBe(4);
    expect(effects.find((d) => d.name === "web-egress")!.effect).toMatchObject({ openedCount: 0, closedCount: 0 });
  });
});

describe("drift of staged (audit-only) objects", () => {
  // A release whose staged change holds issue 10's policies, on a Calico cluster: they render as Calico staged policies.
  const render = (cni: "calico" | "cilium"): ReleaseRenderInput => ({
    documents: issue10Documents,
    staged: issue10Documents,
    clusters: [{ name: "canary", model: issue10Model, target: "anp", cni }],
    platformDefault: PLATFORM_DEFAULT_ALL,
    release: "7",
    time: "2026-06-01T00:00:00Z",
  });
  const isStaged = (o: ObservedObject) => /^Staged/.test(o.kind);

  it("desires the staged versions' objects on Calico, beside the enforced ones, and none on Cilium", () => {
    const { desired, errors } = desiredObjects(render("calico"));
    expect(errors).toEqual([]);
    const staged = desired.filter(isStaged);
    expect(staged.length).toBeGreaterThan(0);
    expect(desired.some((o) => !isStaged(o))).toBe(true);
    for (const o of staged) {
      expect(o.apiVersion).toBe("projectcalico.org/v3");
      expect((o.metadata.annotations as Record<string, string>)[STAGED_ANNOTATION]).toBe("audit-only");
    }
    expect(desiredObjects(render("cilium")).desired.filter(isStaged)).toEqual([]);
  });

  it("reports a missing, a modified and a hand-applied staged policy, each opening and closing no path (never enforced)", () => {
    const input = render("calico");
    const { desired } = desiredObjects(input);
    const enforced = desired.filter((o) => !isStaged(o));
    const [first, second, ...rest] = desired.filter(isStaged);
    const edited = { ...second!, spec: { ...(second!.spec as object), order: 1 } };
    const byHand = { ...first!, metadata: { ...first!.metadata, name: "default.by-hand", labels: {} } };
    const { drifts } = clusterDrift({ render: input, observed: [...enforced, edited, ...rest, byHand] });
    expect(drifts.map((d) => `${d.type} ${d.kind} ${d.name}`).sort()).toEqual(
      [
        `missing ${first!.kind} ${first!.metadata.name}`,
        `modified ${second!.kind} ${second!.metadata.name}`,
        `unmanaged ${byHand.kind} default.by-hand`,
      ].sort(),
    );
    expect(drifts.find((d) => d.type === "modified")!.diff).toEqual([
      { path: "spec.order", desired: (second!.spec as { order: number }).order, observed: 1 },
    ]);
    for (const d of drifts) expect(d.effect).toMatchObject({ openedCount: 0, closedCount: 0 });
    // All present and unchanged: no drift.
    expect(clusterDrift({ render: input, observed: desired }).drifts).toEqual([]);
  });
});
