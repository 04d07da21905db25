import "server-only";
// The engine a cluster's flows are attributed with: the release in force lowered
// against the cluster's inventory, with the platform default. Built once and kept
// per cluster while the release and the platform default stay the same (the
// inventory is re-read after INVENTORY_TTL_MS). Pods a Hubble record names with
// labels but the inventory lacks join the model as observed pods (the replay's
// resolveRecordEndpoints), and the engine is rebuilt once with them: a cluster's
// pods settle after its first batches. Approved exceptions are in it too (each
// counted at the flow's own time), so a flow only an exception allows is a
// near-miss attributed to that exception: what "was it used?" reads at renewal.
import { createHash } from "node:crypto";
import { eq, isNotNull, max } from "drizzle-orm";
import type { Queryable } from "@/db/client";
import { clusters, externalDestinations, namespaces, policies, releases } from "@/db/schema";
import { NotFound } from "@/server/errors";
import { releasedDocuments } from "@/server/drafts/documents";
import { approvedExceptionDocuments, type ExceptionInForce } from "@/server/exceptions/in-force";
import { loadClusterModels } from "@/server/inventory/cluster-model";
import { platformDefaultInForce } from "@/server/platform-default/get";
import { createEvaluator, type Evaluator, type Identity } from "@/server/policy/eval/evaluator";
import { lowerDocuments } from "@/server/policy/documents/lower";
import type { LocatedDocument } from "@/server/policy/documents/read";
import type { PolicyplaneDocument } from "@/server/policy/documents/schema";
import type { ClusterModel, PlatformDefault } from "@/server/policy/model";
import { resolveRecordEndpoints } from "@/server/replay/inventory";
import type { RecordEndpoint } from "@/server/replay/records";
import { perProcess } from "@/server/lib/per-process";
import { CRITICALITY_LABEL, CriticalityIndex, type Criticality } from "./severity";
import { CRITICALITIES } from "@/lib/vocabulary";

const INVENTORY_TTL_MS = 30_000;
/** Observed pods kept per cluster beyond the inventory (a bound on what hostile records can add). */
const MAX_OBSERVED_PODS = 20_000;

export interface ClusterRef {
  id: string;
  name: string;
}

interface EngineState {
  key: string;
  builtAt: number;
  cluster: ClusterRef & { region: string };
  releaseNumber: number | null;
  located: LocatedDocument[];
  platformDefault: PlatformDefault;
  model: ClusterModel;
  /** Pods of the inventory itself (the model's others are observed ones). */
  inventoryPods: number;
  evaluator: Evaluator;
  /** Namespace name → its tenant (null: none). */
  tenants: Map<string, string | null>;
  /** Destinations' criticality (external destinations, labelled namespaces), for severity. */
  criticality: CriticalityIndex;
}

const engines = perProcess("FlowEngines", () => new Map<string, EngineState>());

/** The cluster by name; NotFound for an unknown one. */
export async function clusterByName(db: Queryable, name: string): Promise<ClusterRef & { region: string }> {
  const [row] = await db
    .select({ id: clusters.id, name: clusters.name, region: clusters.region })
    .from(clusters)
    .where(eq(clusters.name, name));
  if (!row) throw new NotFound(`No cluster named "${name}".`);
  return row;
}

/** What the engine is built from, cheaply: released versions, platform default version, latest release. */
async function releaseKey(db: Queryable): Promise<{ key: string; releaseNumber: number | null; exceptions: ExceptionInForce[] }> {
  const [released, platformDefault, [latest], exceptions] = await Promise.all([
    db.select({ id: policies.id, v: policies.releasedVersion }).from(policies).where(isNotNull(policies.releasedVersion)),
    platformDefaultInForce(db),
    db.select({ n: max(releases.number) }).from(releases),
    approvedExceptionDocuments(db),
  ]);
  const parts = released.map((r) => `${r.id}@${r.v}`).sort();
  const key = createHash("sha256")
    .update(JSON.stringify([parts, platformDefault.version, exceptions.map((e) => `${e.number}@${e.contentHash}`)]))
    .digest("hex")
    .slice(0, 32);
  return { key, releaseNumber: latest?.n ?? null, exceptions };
}

function build(state: Omit<EngineState, "evaluator">): EngineState {
  const lowered = lowerDocuments(state.located, { name: state.cluster.name, region: state.cluster.region, model: state.model }, {});
  return { ...state, evaluator: createEvaluator(state.model, lowered.policies, { secureByDefault: state.platformDefault }) };
}

async function loadEngine(db: Queryable, cluster: ClusterRef & { region: string }): Promise<EngineState> {
  const now = Date.now();
  const { key, releaseNumber, exceptions } = await releaseKey(db);
  const cached = engines().get(cluster.id);
  if (cached && cached.key === key && now - cached.builtAt < INVENTORY_TTL_MS) return cached;
  const [docs, [context], platformDefault, nsRows, externals] = await Promise.all([
    releasedDocuments(db),
    loadClusterModels(db, [cluster.name]),
    platformDefaultInForce(db),
    db
      .select({ name: namespaces.name, tenantId: namespaces.tenantId, labels: namespaces.labels })
      .from(namespaces)
      .where(eq(namespaces.clusterId, cluster.id)),
    db
      .select({ dnsName: externalDestinations.dnsName, cidr: externalDestinations.cidr, criticality: externalDestinations.criticality })
      .from(externalDestinations),
  ]);
  const labelled = nsRows.flatMap((n): [string, Criticality][] => {
    const c = n.labels[CRITICALITY_LABEL];
    return c && (CRITICALITIES as readonly string[]).includes(c) ? [[n.name, c as Criticality]] : [];
  });
  const located: LocatedDocument[] = [
    ...docs.map((d) => ({
      document: d.document as PolicyplaneDocument,
      version: String(d.version),
      file: `${d.kind}/${d.name}`,
    })),
    ...exceptions.map((e) => ({ document: e.document, version: e.version, file: `Exception/${e.document.metadata.name}` })),
  ];
  const state = build({
    key,
    builtAt: now,
    cluster,
    releaseNumber,
    located,
    platformDefault,
    model: context!.model,
    inventoryPods: context!.model.pods.length,
    tenants: new Map(nsRows.map((n) => [n.name, n.tenantId])),
    criticality: new CriticalityIndex(externals, new Map(labelled)),
  });
  engines().set(cluster.id, state);
  return state;
}

export interface ResolvedEndpoints {
  evaluator: Evaluator;
  releaseNumber: number | null;
  tenants: Map<string, string | null>;
  criticality: CriticalityIndex;
  /** Per endpoint given: its identity and path, or why it cannot be placed. */
  resolved: ({ ok: true; identity: Identity; path: string } | { ok: false; error: string })[];
}

/**
 * The cluster's engine and the given record endpoints resolved in it. Endpoints that join as
 * observed pods rebuild the engine with them (kept for the next batches).
 */
export async function resolveForCluster(
  db: Queryable,
  cluster: ClusterRef & { region: string },
  endpoints: readonly RecordEndpoint[],
): Promise<ResolvedEndpoints> {
  let state = await loadEngine(db, cluster);
  const observed = resolveRecordEndpoints(state.model, endpoints);
  // Beyond the bound, new observed pods stay unplaced (their records are counted, not attributed).
  if (observed.model !== state.model && observed.model.pods.length <= state.inventoryPods + MAX_OBSERVED_PODS) {
    state = build({ ...state, model: observed.model });
    engines().set(cluster.id, state);
  }
  const resolved = observed.endpoints.map((r) => {
    if (!r.ok) return { ok: false as const, error: r.error };
    const id = state.evaluator.resolve(r.endpoint);
    return id.ok ? { ok: true as const, identity: id.value, path: r.path } : { ok: false as const, error: id.error.message };
  });
  return {
    evaluator: state.evaluator,
    releaseNumber: state.releaseNumber,
    tenants: state.tenants,
    criticality: state.criticality,
    resolved,
  };
}

/** For tests: forget every cluster's engine. */
export function forgetFlowEngines(): void {
  engines().clear();
}
