// The console's version of issue 9's large, mostly open cluster (bench/lib/cli-cluster.ts
// is the CLI's): namespaces of ten single-pod workloads (the CLI cluster's apps and
// replicas, each pod its own workload), four namespace policies per namespace in
// the spirit of its NetworkPolicies, and a baseline that allows what no policy
// isolates (plain Kubernetes), so most of the tens of millions of pairs are open.
// Used by bench/graph.ts (5,000 bare Pods in 500 namespaces) and by the graph's
// integration test (2,000 in 200), which seeds it into a database.
import type { ClusterModel, PodInfo } from "../../server/policy/model";
import type { PolicyplaneDocument, Rule } from "../../server/policy/documents/schema";
import { APPS } from "./cli-cluster";

const V = "policyplane.io/v1" as const;

export interface OpenNamespace {
  name: string;
  tenant: string;
  pods: { name: string; app: string; port: { name: string; port: number; protocol: "TCP" }; ip: string }[];
}

/** `namespaces` namespaces over `tenants` tenants, ten pods each. */
export function openClusterLayout(namespaces: number, tenants: number): OpenNamespace[] {
  let n = 0;
  return Array.from({ length: namespaces }, (_, i) => ({
    name: `ns-${i}`,
    tenant: `t${i % tenants}`,
    pods: APPS.flatMap((a) =>
      Array.from({ length: a.replicas }, (_, k) => {
        n++;
        return {
          name: `${a.app}-${k}`,
          app: a.app,
          port: { name: a.portName, port: a.port, protocol: "TCP" as const },
          ip: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`,
        };
      }),
    ),
  }));
}

/** The engine's model of the layout with bare Pods (what the CLI reads from the manifests). */
export function openClusterModel(layout: readonly OpenNamespace[]): ClusterModel {
  const pods: PodInfo[] = layout.flatMap((ns) =>
    ns.pods.map((p) => ({ namespace: ns.name, name: p.name, labels: { app: p.app }, ports: [p.port], ips: [p.ip], hostNetwork: false })),
  );
  return {
    namespaces: layout.map((ns) => ({ name: ns.name, labels: { "kubernetes.io/metadata.name": ns.name, tenant: ns.tenant } })),
    workloads: [],
    pods,
    services: [],
    nodes: [],
    externals: [],
  };
}

/** The documents, scoped to `cluster` so they leave any other cluster alone. */
export function openClusterDocuments(
  cluster: string,
  layout: readonly OpenNamespace[],
): { document: PolicyplaneDocument; tenant: string | null }[] {
  const scope = { clusters: [cluster] };
  const everyone = { workloads: {} };
  const docs: { document: PolicyplaneDocument; tenant: string | null }[] = [
    {
      tenant: null,
      document: {
        apiVersion: V,
        kind: "Policy",
        metadata: { name: `${cluster}-open-baseline`, owner: "platform" },
        spec: {
          tier: "baseline",
          scope,
          subject: {},
          rules: [
            { name: "in", direction: "ingress", action: "allow", peers: [everyone] },
            { name: "out", direction: "egress", action: "allow", peers: [everyone, { entity: "world" }] },
          ],
        },
      },
    },
  ];
  for (const ns of layout) {
    const subject = (app: string) => ({ namespaces: [ns.name], podSelector: { matchLabels: { app } } });
    const policy = (name: string, app: string, rules: Rule[]): { document: PolicyplaneDocument; tenant: string } => ({
      tenant: ns.tenant,
      document: {
        apiVersion: V,
        kind: "Policy",
        metadata: { name: `${ns.name}-${name}`, tenant: ns.tenant, owner: ns.tenant },
        spec: { tier: "namespace", scope, subject: subject(app), rules },
      },
    });
    docs.push(
      policy("db-from-api", "db", [
        { direction: "ingress", action: "allow", peers: [{ workloads: subject("api") }], ports: [{ port: "postgres", protocol: "TCP" }] },
      ]),
      policy("api-from-tenant", "api", [
        { direction: "ingress", action: "allow", peers: [{ workloads: { tenant: ns.tenant } }], ports: [{ port: 8443, protocol: "TCP" }] },
      ]),
      policy("frontend-open", "frontend", [
        {
          direction: "ingress",
          action: "allow",
          peers: [everyone, { cidr: "0.0.0.0/0", except: ["10.0.0.0/8"] }],
          ports: [{ port: 8080, protocol: "TCP" }],
        },
      ]),
      policy("worker-egress", "worker", [
        { direction: "egress", action: "allow", peers: [{ workloads: { tenant: ns.tenant } }] },
        {
          direction: "egress",
          action: "allow",
          peers: [{ cidr: "0.0.0.0/0", except: ["10.0.0.0/8"] }],
          ports: [{ port: 443, protocol: "TCP" }],
        },
        { direction: "egress", action: "allow", peers: [{ entity: "kube-dns" }], ports: [{ port: 53, protocol: "UDP" }] },
      ]),
    );
  }
  return docs;
}
