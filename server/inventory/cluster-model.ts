import "server-only";
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

const WORKLOAD_KINDS: readonly WorkloadKind[] = [
  "Deployment",
  "StatefulSet",
  "DaemonSet",
  "ReplicaSet",
  "Job",
  "CronJob",
  "ReplicationController",
];

function podName(kind: string, workload: string, index: number): string {
  // StatefulSet pods have stable ordinal names; others get a deterministic stand-in suffix.
  return kind === "StatefulSet" ? `${workload}-${index}` : `${workload}-${index.toString(36).padStart(5, "0")}`;
}

type ClusterRow = typeof clusters.$inferSelect;
type NamespaceRow = typeof namespaces.$inferSelect;
type WorkloadRow = typeof workloads.$inferSelect;
type ServiceRow = typeof services.$inferSelect;

/** One cluster's model from its rows (namespaces, workloads and services already ordered by name). */
function buildModel(
  cluster: ClusterRow,
  nsRows: NamespaceRow[],
  workloadRows: WorkloadRow[],
  serviceRows: ServiceRow[],
  externals: ExternalDestination[],
): ClusterContext {
  const nsName = new Map(nsRows.map((n) => [n.id, n.name]));
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
      externals: [...externals],
    },
  };
}

function groupBy<T>(rows: readonly T[], key: (row: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const r of rows) {
    const k = key(r);
    const list = out.get(k);
    if (list) list.push(r);
    else out.set(k, [r]);
  }
  return out;
}

/**
 * The models of several clusters (default: all), by name, in five queries
 * whatever their number. Unknown names are refused together.
 */
export async function loadClusterModels(db: Queryable, names?: readonly string[]): Promise<ClusterContext[]> {
  if (names?.length === 0) return [];
  const clusterRows = await db
    .select()
    .from(clusters)
    .where(names ? inArray(clusters.name, [...names]) : undefined)
    .orderBy(asc(clusters.name));
  const missing = names?.filter((n) => !clusterRows.some((c) => c.name === n)) ?? [];
  if (missing.length > 0) throw new NotFound(`No cluster named ${missing.map((n) => `"${n}"`).join(", ")}.`);
  if (clusterRows.length === 0) return [];
  const clusterIds = clusterRows.map((c) => c.id);
  const inClusters = inArray(namespaces.clusterId, clusterIds);
  const [nsRows, workloadRows, serviceRows, externalRows] = await Promise.all([
    db.select().from(namespaces).where(inClusters).orderBy(asc(namespaces.name)),
    db
      .select({ row: workloads, clusterId: namespaces.clusterId })
      .from(workloads)
      .innerJoin(namespaces, eq(namespaces.id, workloads.namespaceId))
      .where(inClusters)
      .orderBy(asc(workloads.name), asc(namespaces.name)),
    db
      .select({ row: services, clusterId: namespaces.clusterId })
      .from(services)
      .innerJoin(namespaces, eq(namespaces.id, services.namespaceId))
      .where(inClusters)
      .orderBy(asc(services.name), asc(namespaces.name)),
    db.select().from(externalDestinations).orderBy(asc(externalDestinations.name)),
  ]);
  const externals: ExternalDestination[] = externalRows.map((e) =>
    e.dnsName ? { kind: "dns", name: e.dnsName } : { kind: "cidr", cidr: e.cidr!, name: e.name },
  );
  const nsBy = groupBy(nsRows, (n) => n.clusterId);
  const workloadsBy = groupBy(workloadRows, (w) => w.clusterId);
  const servicesBy = groupBy(serviceRows, (s) => s.clusterId);
  return clusterRows.map((c) =>
    buildModel(
      c,
      nsBy.get(c.id) ?? [],
      (workloadsBy.get(c.id) ?? []).map((w) => w.row),
      (servicesBy.get(c.id) ?? []).map((s) => s.row),
      externals,
    ),
  );
}
