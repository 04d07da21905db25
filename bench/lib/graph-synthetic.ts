// A synthetic organisation for the graph benchmark: 20 tenants × 5 namespaces
// × 20 workloads = 2,000 workloads, written as Policyplane documents the way
// application teams write them (tier selectors, a few app-specific rules),
// plus global DNS, external egress and a default-deny baseline.
import type { ClusterModel, NamedPort, PodInfo, WorkloadInfo } from "../../server/policy/model";
import type { PolicyplaneDocument } from "../../server/policy/documents/schema";
import { DEMO_POLICIES } from "../../server/seed/demo-data";

export const SYNTHETIC = { tenants: 20, namespacesPerTenant: 5, workloadsPerNamespace: 20, cluster: "synthetic-1", region: "eu-west" };
/** The 20,000-workload organisation the authoring issue named (issue 9 §3 measures it). */
export const SYNTHETIC_20K = { ...SYNTHETIC, tenants: 40, namespacesPerTenant: 10, workloadsPerNamespace: 50 };
export type SyntheticShape = Pick<typeof SYNTHETIC, "tenants" | "namespacesPerTenant" | "workloadsPerNamespace">;

const V = "policyplane.io/v1" as const;
const tcp = (port: number | string) => ({ port, protocol: "TCP" as const });
const HTTP: NamedPort = { name: "http", port: 8080, protocol: "TCP" };
const PG: NamedPort = { name: "postgres", port: 5432, protocol: "TCP" };

export interface SyntheticNamespace {
  name: string;
  tenant: string | null;
  workloads: { name: string; tier: "api" | "backend" | "data" | "platform"; ports: NamedPort[]; labels: Record<string, string> }[];
}

export interface SyntheticOrg {
  tenants: string[];
  namespaces: SyntheticNamespace[];
  externals: string[];
  documents: { document: PolicyplaneDocument; tenant: string | null }[];
}

function appTierOf(i: number): "api" | "backend" | "data" {
  return i < 4 ? "api" : i < 16 ? "backend" : "data";
}

export function syntheticOrg(shape: SyntheticShape = SYNTHETIC): SyntheticOrg {
  const tenants = Array.from({ length: shape.tenants }, (_, t) => `team-${String(t).padStart(2, "0")}`);
  const namespaces: SyntheticNamespace[] = [];
  const externals = Array.from({ length: 10 }, (_, i) => `api.partner-${i}.example.com`);
  for (const [t, tenant] of tenants.entries()) {
    for (let n = 0; n < shape.namespacesPerTenant; n++) {
      const name = `${tenant}-ns${n}`;
      namespaces.push({
        name,
        tenant,
        workloads: Array.from({ length: shape.workloadsPerNamespace }, (_, i) => {
          const tier = appTierOf(i);
          return {
            name: `${name}-${tier}-${i}`,
            tier,
            ports: tier === "data" ? [PG] : [HTTP],
            labels: { app: `${name}-${tier}-${i}`, tier, tenant },
          };
        }),
      });
      void t;
    }
  }
  namespaces.push({
    name: "kube-system",
    tenant: null,
    workloads: [
      {
        name: "coredns",
        tier: "platform",
        ports: [{ name: "dns", port: 53, protocol: "UDP" }],
        labels: { app: "coredns", "k8s-app": "kube-dns" },
      },
    ],
  });

  const nsNames = namespaces.filter((n) => n.tenant).map((n) => n.name);
  const documents: SyntheticOrg["documents"] = [];
  const peersOf = (k: number) => [(k + 1) % nsNames.length, (k + 7) % nsNames.length, (k + 31) % nsNames.length].map((i) => nsNames[i]!);
  nsNames.forEach((ns, k) => {
    const tenant = namespaces.find((n) => n.name === ns)!.tenant!;
    const sameNs = (tier: string) => ({ workloads: { namespaces: [ns], podSelector: { matchLabels: { tier } } } });
    const apis = (names: string[]) => ({ workloads: { namespaces: names, podSelector: { matchLabels: { tier: "api" } } } });
    documents.push({
      tenant,
      document: {
        apiVersion: V,
        kind: "Policy",
        metadata: { name: `${ns}-api`, tenant, owner: tenant },
        spec: {
          tier: "namespace",
          subject: { namespaces: [ns], podSelector: { matchLabels: { tier: "api" } } },
          rules: [
            {
              name: "from-peer-apis",
              direction: "ingress",
              action: "allow",
              peers: [apis(nsNames.filter((_, j) => peersOf(j).includes(ns)))],
              ports: [tcp(8080)],
            },
            { name: "to-backends", direction: "egress", action: "allow", peers: [sameNs("backend")], ports: [tcp(8080)] },
            { name: "to-peer-apis", direction: "egress", action: "allow", peers: [apis(peersOf(k))], ports: [tcp(8080)] },
          ],
        },
      },
    });
    documents.push({
      tenant,
      document: {
        apiVersion: V,
        kind: "Policy",
        metadata: { name: `${ns}-backends`, tenant, owner: tenant },
        spec: {
          tier: "namespace",
          subject: { namespaces: [ns], podSelector: { matchLabels: { tier: "backend" } } },
          rules: [
            { name: "from-api", direction: "ingress", action: "allow", peers: [sameNs("api")], ports: [tcp("http")] },
            { name: "to-data", direction: "egress", action: "allow", peers: [sameNs("data")], ports: [tcp(5432)] },
            {
              name: "to-partner",
              direction: "egress",
              action: "allow",
              peers: [{ dns: externals[k % externals.length]! }],
              ports: [tcp(443)],
            },
          ],
        },
      },
    });
    documents.push({
      tenant,
      document: {
        apiVersion: V,
        kind: "Policy",
        metadata: { name: `${ns}-data`, tenant, owner: tenant },
        spec: {
          tier: "namespace",
          subject: { namespaces: [ns], podSelector: { matchLabels: { tier: "data" } } },
          rules: [
            { name: "from-backends", direction: "ingress", action: "allow", peers: [sameNs("backend")], ports: [tcp("postgres")] },
            // One app-specific rule per namespace: the reporting job reads the last database directly.
            {
              name: "reporting",
              direction: "ingress",
              action: "allow",
              peers: [{ workloads: { namespaces: [ns], podSelector: { matchLabels: { app: `${ns}-api-0` } } } }],
              ports: [tcp(5432)],
            },
          ],
        },
      },
    });
  });
  documents.push({
    tenant: null,
    document: {
      apiVersion: V,
      kind: "Policy",
      metadata: { name: "global-allow-dns", owner: "platform" },
      spec: {
        tier: "global",
        priority: 10,
        subject: {},
        rules: [
          { name: "dns", direction: "egress", action: "allow", peers: [{ entity: "kube-dns" }], ports: [{ port: 53, protocol: "UDP" }] },
        ],
      },
    },
  });
  // The same secure-by-default baseline as the demo organisation.
  documents.push({ tenant: null, document: DEMO_POLICIES.find((p) => p.document.metadata.name === "baseline-default-deny")!.document });
  return { tenants, namespaces, externals, documents };
}

/** The engine's model of the synthetic cluster (what loadClusterModels would read from the database). */
export function syntheticModel(org: SyntheticOrg): ClusterModel {
  const workloads: WorkloadInfo[] = [];
  const pods: PodInfo[] = [];
  let ip = 0;
  for (const ns of org.namespaces) {
    for (const w of ns.workloads) {
      workloads.push({
        kind: "Deployment",
        namespace: ns.name,
        name: w.name,
        labels: w.labels,
        ports: w.ports,
        hostNetwork: false,
        replicas: 2,
      });
      for (let r = 0; r < 2; r++) {
        ip++;
        pods.push({
          namespace: ns.name,
          name: `${w.name}-${r.toString(36).padStart(5, "0")}`,
          labels: w.labels,
          ports: w.ports,
          ips: [`10.${(ip >> 16) & 255}.${(ip >> 8) & 255}.${ip & 255}`],
          hostNetwork: false,
          workload: { kind: "Deployment", name: w.name },
          fromTemplate: true,
        });
      }
    }
  }
  return {
    namespaces: org.namespaces.map((n) => ({
      name: n.name,
      labels: { "kubernetes.io/metadata.name": n.name, ...(n.tenant ? { tenant: n.tenant } : {}) },
    })),
    workloads,
    pods,
    // One Service per workload, as the database seeding writes them (kube-dns in front of coredns).
    services: org.namespaces.flatMap((n) =>
      n.workloads.map((w) => ({
        namespace: n.name,
        name: w.name === "coredns" ? "kube-dns" : w.name,
        selector: { app: w.labels.app! },
        ports: w.ports.map((p) => ({
          ...(p.name ? { name: p.name } : {}),
          port: p.port,
          targetPort: p.name ?? p.port,
          protocol: p.protocol,
        })),
        clusterIPs: [],
      })),
    ),
    nodes: [],
    externals: org.externals.map((name) => ({ kind: "dns" as const, name })),
  };
}
