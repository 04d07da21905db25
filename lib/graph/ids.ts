// Element ids of the graph. They encode the hierarchy so the same workload has
// the same id in every view (one cluster, all clusters, any overlay).

export const EXTERNALS_GROUP = "g:external";

export const clusterNodeId = (cluster: string) => `c:${cluster}`;
export const tenantNodeId = (cluster: string, tenant: string | null) => `t:${cluster}/${tenant ?? "-"}`;
export const namespaceNodeId = (cluster: string, namespace: string) => `n:${cluster}/${namespace}`;
export const workloadNodeId = (cluster: string, namespace: string, kind: string, name: string) =>
  `w:${cluster}/${namespace}/${kind}/${name}`;
/** The opaque stand-in of every tenant a person may not read, one per cluster. */
export const otherTenantNodeId = (cluster: string) => `o:${cluster}`;
export const serviceNodeId = (cluster: string, namespace: string, name: string) => `s:${cluster}/${namespace}/${name}`;
/** External destinations are organisation-wide: one node whatever the cluster. */
export const externalNodeId = (label: string) => `x:${label}`;
export const edgeId = (source: string, target: string) => `e:${source}->${target}`;
export const aggregateEdgeId = (source: string, target: string) => `agg:${source}->${target}`;

export interface ParsedNodeId {
  kind: "cluster" | "tenant" | "namespace" | "workload" | "service" | "external" | "externals";
  cluster?: string;
  namespace?: string;
  name: string;
  workloadKind?: string;
}

export function parseNodeId(id: string): ParsedNodeId | null {
  if (id === EXTERNALS_GROUP) return { kind: "externals", name: "external" };
  const sep = id.indexOf(":");
  if (sep < 0) return null;
  const prefix = id.slice(0, sep);
  const rest = id.slice(sep + 1);
  const parts = rest.split("/");
  switch (prefix) {
    case "c":
      return { kind: "cluster", cluster: rest, name: rest };
    case "t":
      return parts.length === 2 ? { kind: "tenant", cluster: parts[0]!, name: parts[1]! } : null;
    case "n":
      return parts.length === 2 ? { kind: "namespace", cluster: parts[0]!, namespace: parts[1]!, name: parts[1]! } : null;
    case "w":
      return parts.length === 4
        ? { kind: "workload", cluster: parts[0]!, namespace: parts[1]!, workloadKind: parts[2]!, name: parts[3]! }
        : null;
    case "s":
      return parts.length === 3 ? { kind: "service", cluster: parts[0]!, namespace: parts[1]!, name: parts[2]! } : null;
    case "x":
      return { kind: "external", name: rest };
    default:
      return null;
  }
}

/** The parent group a leaf id implies (workloads and services live in their namespace; externals in the externals group). */
export function impliedParent(id: string): string | undefined {
  const p = parseNodeId(id);
  if (!p) return undefined;
  if ((p.kind === "workload" || p.kind === "service") && p.cluster && p.namespace) return namespaceNodeId(p.cluster, p.namespace);
  if (p.kind === "external") return EXTERNALS_GROUP;
  return undefined;
}

/** Split `e:<source>-><target>` or `agg:<source>-><target>` (ids never contain "->"). */
export function parseEdgeId(id: string): { source: string; target: string } | null {
  const body = id.startsWith("e:") ? id.slice(2) : id.startsWith("agg:") ? id.slice(4) : null;
  if (!body) return null;
  const at = body.indexOf("->");
  if (at < 0) return null;
  return { source: body.slice(0, at), target: body.slice(at + 2) };
}
