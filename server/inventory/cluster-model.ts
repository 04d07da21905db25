// The engine's view of a cluster, read from the inventory tables: namespaces,
// workloads with one pod per known IP, services and external destinations.
import { asc, eq, inArray } from "drizzle-orm";
import type { Queryable } from "@/db/client";
import { clusters, externalDestinations, namespaces, services, workloads } from "@/db/schema";
import { NotFound } from "@/server/errors";
import type { ClusterModel, ExternalDestination, PodInfo, WorkloadInfo, WorkloadKind } from "@/server/policy/model";

export interface ClusterContext {
  name: string;
  region: string;
  environment: string;
  model: ClusterModel;
}

const WORKLOAD_KINDS: readonly WorkloadKind[] = ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "ReplicationController"];

function podName(kind: string, workload: string, index: number): string {
  // StatefulSet pods have stable ordinal names; others get a deterministic stand-in suffix.
  return kind === "StatefulSet" ? `${workload}-${index}` : `${workload}-${index.toString(36).padStart(5, "0")}`;
}

export async function loadClusterModel(db: Queryable, clusterName: string): Promise<ClusterContext> {
  const [cluster] = await db.select().from(clusters).where(eq(clusters.name, clusterName));
  if (!cluster) throw new NotFound(`No cluster named "${clusterName}".`);
  const nsRows = await db.select().from(namespaces).where(eq(namespaces.clusterId, cluster.id)).orderBy(asc(namespaces.name));
  const nsIds = nsRows.map((n) => n.id);
  const nsName = new Map(nsRows.map((n) => [n.id, n.name]));
  const workloadRows = nsIds.length ? await db.select().from(workloads).where(inArray(workloads.namespaceId, nsIds)).orderBy(asc(workloads.name)) : [];
  const serviceRows = nsIds.length ? await db.select().from(services).where(inArray(services.namespaceId, nsIds)).orderBy(asc(services.name)) : [];
  const externalRows = await db.select().from(externalDestinations).orderBy(asc(externalDestinations.name));

  const workloadInfos: WorkloadInfo[] = [];
  const pods: PodInfo[] = [];
  for (const w of workloadRows) {
    const namespace = nsName.get(w.namespaceId)!;
    const kind = (WORKLOAD_KINDS as readonly string[]).includes(w.kind) ? (w.kind as WorkloadKind) : "Deployment";
    workloadInfos.push({ kind, namespace, name: w.name, labels: w.labels, ports: w.ports, hostNetwork: false, replicas: w.replicas });
    const ips = w.ips.length > 0 ? w.ips : [undefined];
    ips.forEach((ip, i) =>
      pods.push({
        namespace,
        name: podName(kind, w.name, i),
        labels: w.labels,
        ports: w.ports,
        ips: ip ? [ip] : [],
        hostNetwork: false,
        workload: { kind, name: w.name },
        fromTemplate: true,
      }),
    );
  }

  const externals: ExternalDestination[] = externalRows.map((e) =>
    e.dnsName ? { kind: "dns", name: e.dnsName } : { kind: "cidr", cidr: e.cidr!, name: e.name },
  );

  return {
    name: cluster.name,
    region: cluster.region,
    environment: cluster.environment,
    model: {
      namespaces: nsRows.map((n) => ({ name: n.name, labels: n.labels })),
      workloads: workloadInfos,
      pods,
      services: serviceRows.map((s) => ({
        namespace: nsName.get(s.namespaceId)!,
        name: s.name,
        selector: s.selector,
        ports: s.ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.targetPort, protocol: p.protocol })),
        clusterIPs: s.clusterIp ? [s.clusterIp] : [],
      })),
      nodes: [],
      externals,
    },
  };
}
