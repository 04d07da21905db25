import { describe, expect, it } from "vitest";
import { PLATFORM_DEFAULT_ALL, PLATFORM_DEFAULT_OFF, type ClusterModel, type PlatformDefault } from "@/server/policy/model";
import type { PolicyplaneDocument } from "@/server/policy/documents/schema";
import { computeGraph, type VersionedDocument } from "@/server/graph/compute";
import { computeImpact, type Criticality, type ImpactEdit } from "./impact";

// A small organisation: shop (web, api) and pay (gateway, db), kube-dns, and two named destinations.
const V = "policyplane.io/v1" as const;
const tcp = (port: number) => ({ port, protocol: "TCP" as const });
const app = (namespace: string, name: string) => ({ workloads: { namespaces: [namespace], podSelector: { matchLabels: { app: name } } } });

function model(): ClusterModel {
  const ws = [
    ["shop", "web", 8080],
    ["shop", "api", 8080],
    ["pay", "gateway", 8443],
    ["pay", "db", 5432],
  ] as const;
  return {
    namespaces: [
      { name: "shop", labels: { tenant: "shop" } },
      { name: "pay", labels: { tenant: "pay" } },
    ],
    workloads: ws.map(([namespace, name, port]) => ({
      kind: "Deployment" as const,
      namespace,
      name,
      labels: { app: name },
      ports: [{ name: `p${port}`, port, protocol: "TCP" as const }],
      hostNetwork: false,
      replicas: 1,
    })),
    pods: ws.map(([namespace, name, port]) => ({
      namespace,
      name: `${name}-0`,
      labels: { app: name },
      ports: [{ name: `p${port}`, port, protocol: "TCP" as const }],
      ips: [],
      hostNetwork: false,
      workload: { kind: "Deployment" as const, name },
      fromTemplate: true,
    })),
    services: [],
    nodes: [],
    externals: [
      { kind: "dns", name: "api.stripe.com" },
      { kind: "dns", name: "logs.example.com" },
    ],
  };
}

type Rule = { name: string; direction: "ingress" | "egress"; peers: unknown[]; ports: { port: number; protocol: "TCP" }[] };
function policy(name: string, tenant: string, namespace: string, appName: string, rules: Rule[], tier = "namespace"): PolicyplaneDocument {
  return {
    apiVersion: V,
    kind: "Policy",
    metadata: tier === "namespace" ? { name, tenant } : { name, owner: "platform" },
    spec: {
      tier,
      ...(tier === "namespace" ? {} : { priority: 10 }),
      subject: { namespaces: [namespace], podSelector: { matchLabels: { app: appName } } },
      rules: rules.map((r) => ({ ...r, action: "allow" })),
    },
  } as PolicyplaneDocument;
}

const webToApi = policy("shop-web", "shop", "shop", "web", [
  { name: "to-api", direction: "egress", peers: [app("shop", "api")], ports: [tcp(8080)] },
]);
const apiFromWeb = policy("shop-api", "shop", "shop", "api", [
  { name: "from-web", direction: "ingress", peers: [app("shop", "web")], ports: [tcp(8080)] },
]);
const RELEASE = [webToApi, apiFromWeb];

/** shop/web as released, plus an egress rule on 443 to `peers`. */
const webAlsoTo = (name: string, peers: unknown[]) =>
  policy("shop-web", "shop", "shop", "web", [
    { name: "to-api", direction: "egress", peers: [app("shop", "api")], ports: [tcp(8080)] },
    { name, direction: "egress", peers, ports: [tcp(443)] },
  ]);

const CRITICALITY = new Map<string, Criticality>([
  ["api.stripe.com", "critical"],
  ["logs.example.com", "medium"],
]);
const NOW = new Date("2030-01-01T00:00:00Z");
const docs = (list: PolicyplaneDocument[]): VersionedDocument[] => list.map((document) => ({ document, version: 1 }));

/** The impact of replacing or adding `changed` on top of RELEASE (by name). */
function impactOf(
  changed: PolicyplaneDocument[],
  edits: Partial<ImpactEdit>[] = [],
  platformDefault: PlatformDefault = PLATFORM_DEFAULT_ALL,
) {
  const names = new Set(changed.map((d) => d.metadata.name));
  const graph = computeGraph({
    clusters: [{ name: "eu", region: "eu-west", model: model() }],
    release: docs(RELEASE),
    proposal: docs([...RELEASE.filter((d) => !names.has(d.metadata.name)), ...changed]),
    time: NOW,
    platformDefault,
  });
  const fullEdits: ImpactEdit[] = changed.map((d, i) => ({
    policy: d.metadata.name,
    kind: d.kind === "ComplianceConstraint" ? "ComplianceConstraint" : "Policy",
    tier: d.kind === "Policy" ? d.spec.tier : "global",
    fromVersion: RELEASE.some((r) => r.metadata.name === d.metadata.name) ? 1 : null,
    toVersion: 2,
    loosensConstraint: false,
    ...edits[i],
  }));
  return computeImpact({ graph, edits: fullEdits, criticality: CRITICALITY, time: NOW });
}

describe("the impact of a change request", () => {
  it("lists a path the change adds with the policy, tier and rule that allow it", () => {
    const gateway = policy("pay-gateway", "pay", "pay", "gateway", [
      { name: "from-api", direction: "ingress", peers: [app("shop", "api")], ports: [tcp(8443)] },
    ]);
    const api = policy("shop-api", "shop", "shop", "api", [
      { name: "from-web", direction: "ingress", peers: [app("shop", "web")], ports: [tcp(8080)] },
      { name: "to-gateway", direction: "egress", peers: [app("pay", "gateway")], ports: [tcp(8443)] },
    ]);
    const impact = impactOf([gateway, api]);
    const [eu] = impact.clusters;
    expect(eu!.removed).toEqual([]);
    expect(eu!.added.map((p) => p.label)).toEqual(["shop/api → pay/gateway 8443/TCP"]);
    const [why] = eu!.added[0]!.rationale!;
    expect(why!.port).toBe("8443/TCP");
    expect(why!.allowance).toMatchObject({ layer: "namespace" });
    expect(["shop-api", "pay-gateway"]).toContain(why!.allowance!.policy!.name);
    expect(why!.path).toMatch(/egress: \[namespace\] allow \(.*shop-api.*\); ingress: \[namespace\] allow \(.*pay-gateway/);
    expect(impact.risk.level).toBe("low");
    expect(impact.tiers).toEqual(["namespace"]);
  });

  it("lists a path the change removes with what allowed it and the engine's deny now", () => {
    const narrowed = policy("shop-api", "shop", "shop", "api", [
      { name: "from-web", direction: "ingress", peers: [app("shop", "web")], ports: [tcp(9090)] },
    ]);
    const impact = impactOf([narrowed]);
    const [eu] = impact.clusters;
    expect(eu!.added).toEqual([]);
    expect(eu!.removed.map((p) => p.label)).toEqual(["shop/web → shop/api 8080/TCP"]);
    const [why] = eu!.removed[0]!.rationale!;
    expect(why!.allowance?.policy?.name).toMatch(/shop-(web|api)/);
    expect(why!.path).toMatch(/ingress: \[namespace\] deny/);
    expect(why!.nearestAllow).toMatch(/from-web|shop-api/);
    expect(impact.risk).toMatchObject({ level: "medium" });
    expect(impact.risk.reasons.map((r) => r.text)).toContain("removes 1 path(s): traffic allowed today will be denied");
  });

  it("names the workloads a change newly puts under default deny, and what denies them", () => {
    // Without the platform default, pay/db accepts anything until a policy selects it for ingress.
    const db = policy("pay-db", "pay", "pay", "db", [
      { name: "from-gateway", direction: "ingress", peers: [app("pay", "gateway")], ports: [tcp(5432)] },
    ]);
    const impact = impactOf([db], [], PLATFORM_DEFAULT_OFF);
    const [eu] = impact.clusters;
    expect(eu!.newlyDefaultDenied).toEqual([{ workload: "pay/db", direction: "ingress", by: "isolated by pay-db" }]);
    expect(eu!.noLongerDefaultDenied).toEqual([]);
    expect(impact.totals.newlyDefaultDenied).toBe(1);
    expect(impact.risk.reasons.some((r) => r.level === "medium" && /newly under default deny/.test(r.text))).toBe(true);
  });

  it("leaves default deny alone where the platform default already denied", () => {
    const db = policy("pay-db", "pay", "pay", "db", [
      { name: "from-gateway", direction: "ingress", peers: [app("pay", "gateway")], ports: [tcp(5432)] },
    ]);
    expect(impactOf([db]).clusters[0]!.newlyDefaultDenied).toEqual([]);
  });

  it("rates a path opened to world as critical, naming it", () => {
    const impact = impactOf([webAlsoTo("anywhere", [{ entity: "world" }])]);
    expect(impact.risk.level).toBe("critical");
    const world = impact.clusters[0]!.added.find((p) => p.destination?.criticality === "world");
    expect(world?.label).toMatch(/^shop\/web → world/);
    expect(impact.risk.reasons[0]).toMatchObject({
      level: "critical",
      text: expect.stringMatching(/opens \d+ path\(s\) to world: shop\/web → world/),
    });
  });

  it("rates a path opened to a critical service as critical but not one to a medium-criticality service", () => {
    const critical = impactOf([webAlsoTo("pay", [{ dns: "api.stripe.com" }])]);
    expect(critical.risk.level).toBe("critical");
    expect(critical.clusters[0]!.added[0]!.destination).toEqual({ name: "api.stripe.com", criticality: "critical" });
    const medium = impactOf([webAlsoTo("logs", [{ dns: "logs.example.com" }])]);
    expect(medium.risk).toEqual({
      level: "low",
      reasons: [
        { level: "low", text: "touches the namespace tier (shop-web)" },
        { level: "low", text: "adds 1 path(s)" },
      ],
    });
  });

  it("rates a change of the global tier as high, and a loosened constraint as critical", () => {
    const global = policy(
      "global-db",
      "",
      "pay",
      "db",
      [{ name: "reads", direction: "ingress", peers: [app("shop", "web")], ports: [tcp(5432)] }],
      "global",
    );
    const high = impactOf([global]);
    expect(high.tiers).toEqual(["global"]);
    expect(high.risk.level).toBe("high");
    expect(high.risk.reasons[0]!.text).toBe("touches the global tier (global-db)");

    const constraint: PolicyplaneDocument = {
      apiVersion: V,
      kind: "ComplianceConstraint",
      metadata: { name: "pay-no-world", owner: "security" },
      spec: {
        subject: { namespaces: ["pay"], podSelector: { matchLabels: {} } },
        direction: "egress",
        peers: [{ entity: "world" }],
        rationale: "PCI",
      },
    } as PolicyplaneDocument;
    const loosened = impactOf([constraint], [{ fromVersion: 1, loosensConstraint: true }]);
    expect(loosened.constraints).toEqual([{ name: "pay-no-world", change: "edited", loosens: true }]);
    expect(loosened.risk.level).toBe("critical");
    expect(loosened.risk.reasons[0]!.text).toBe("loosens compliance constraint pay-no-world");
  });

  it("explains only the first paths of a large change and counts the rest", () => {
    const open = webAlsoTo("out", [{ entity: "world" }, { dns: "api.stripe.com" }, { dns: "logs.example.com" }]);
    const names = new Set([open.metadata.name]);
    const graph = computeGraph({
      clusters: [{ name: "eu", model: model() }],
      release: docs(RELEASE),
      proposal: docs([...RELEASE.filter((d) => !names.has(d.metadata.name)), open]),
      time: NOW,
      platformDefault: PLATFORM_DEFAULT_ALL,
    });
    const impact = computeImpact({ graph, edits: [], criticality: CRITICALITY, time: NOW, maxRationales: 1 });
    const [eu] = impact.clusters;
    expect(eu!.added.length).toBeGreaterThanOrEqual(3);
    expect(eu!.added.filter((p) => p.rationale).length).toBe(1);
    expect(eu!.withoutRationale).toBe(eu!.added.length - 1);
  });
});
