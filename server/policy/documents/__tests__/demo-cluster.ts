/** Test support: the demo shop (server/seed/demo-data.ts) as cluster models, built the way the seed writes it. */
import { DEMO_CLUSTERS, DEMO_NAMESPACES, DEMO_POLICIES } from "@/server/seed/demo-data";
import { emptyCluster, type ClusterModel } from "@/server/policy/model";
import type { TargetCluster } from "../lower";
import { inMemoryDocuments, type LocatedDocument } from "../read";

export function demoCluster(name: string): TargetCluster {
  const c = DEMO_CLUSTERS.find((x) => x.name === name);
  if (!c) throw new Error(`no demo cluster ${name}`);
  const model: ClusterModel = emptyCluster();
  DEMO_NAMESPACES.forEach((n, nsIndex) => {
    const here = n.workloads.filter((w) => !w.clusters || w.clusters.includes(c.name));
    if (here.length === 0) return;
    model.namespaces.push({
      name: n.name,
      labels: { "kubernetes.io/metadata.name": n.name, ...(n.tenant ? { tenant: n.tenant } : {}), ...n.labels },
    });
    here.forEach((w, i) => {
      const labels = { app: w.name, tier: w.tier, ...(n.tenant ? { tenant: n.tenant } : {}), ...w.labels };
      model.pods.push({
        namespace: n.name,
        name: `${w.name}-0`,
        labels,
        ports: w.ports,
        ips: [`${c.podCidr}.${nsIndex + 1}.${10 + i}`],
        hostNetwork: false,
        workload: { kind: w.kind, name: w.name },
      });
      model.workloads.push({
        kind: w.kind,
        namespace: n.name,
        name: w.name,
        labels,
        ports: w.ports,
        hostNetwork: false,
        replicas: 1,
        selector: { matchLabels: { app: w.name }, matchExpressions: [] },
      });
      if (w.ports.length > 0 && w.kind !== "DaemonSet" && w.kind !== "Job") {
        model.services.push({
          namespace: n.name,
          name: w.name === "coredns" ? "kube-dns" : w.name,
          selector: { app: w.name },
          ports: w.ports.map((p) => ({
            ...(p.name ? { name: p.name } : {}),
            port: p.port,
            targetPort: p.name ?? p.port,
            protocol: p.protocol,
          })),
          clusterIPs: [],
        });
      }
    });
  });
  return { name: c.name, region: c.region, model };
}

export function demoDocuments(): LocatedDocument[] {
  return inMemoryDocuments(DEMO_POLICIES.map((p) => ({ document: p.document, version: "1" })));
}
