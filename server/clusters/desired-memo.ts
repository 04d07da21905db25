import "server-only";
// A cluster's desired state, memoised by what it is rendered from. The agent
// reads it every few seconds (If-None-Match); compiling the release for the
// cluster, with its inventory loaded, for each read only to answer 304 was a
// full compile per cluster per poll. The key is read with a few small queries:
//   - the release the cluster should run (its documents and staged versions are
//     the release's, immutable once released);
//   - the approved exceptions in force now (number and content hash), which is
//     all the render's instant decides;
//   - the platform default that release carries;
//   - the inventory's revision (bumped by triggers on every write to clusters,
//     namespaces, workloads, services, external destinations: migration 0028);
//   - the cluster's capabilities (CNI, admin policy API, Istio) and labels.
import { createHash } from "node:crypto";
import type { Queryable } from "@/db/client";
import { inventoryRevision } from "@/db/schema";
import { approvedExceptionDocuments, inWindowAt } from "@/server/exceptions/in-force";
import { platformDefaultOfRelease } from "@/server/platform-default/get";

type ClusterRef = {
  id: string;
  labels: unknown;
  region: string;
  profile: { cni: string | null; adminPolicyApi: string | null; istio: boolean } | null;
};

/** The render inputs' fingerprint for `cluster` at `at` (null release: nothing is desired). */
export async function desiredKey(db: Queryable, cluster: ClusterRef, release: { id: string; number: number } | null, at: Date) {
  const [exceptions, platformDefault, [inventory]] = await Promise.all([
    approvedExceptionDocuments(db),
    release ? platformDefaultOfRelease(db, release.number) : null,
    db.select({ revision: inventoryRevision.revision }).from(inventoryRevision),
  ]);
  const parts = {
    release: release?.id ?? null,
    exceptions: exceptions.filter((e) => inWindowAt(e, at)).map((e) => `${e.number}@${e.contentHash}`),
    platformDefault: platformDefault && [platformDefault.version, platformDefault.enabled, platformDefault.excludeNamespaces],
    inventory: inventory?.revision ?? null,
    capabilities: [cluster.profile?.cni ?? null, cluster.profile?.adminPolicyApi ?? null, cluster.profile?.istio ?? false],
    cluster: [cluster.region, cluster.labels],
  };
  return createHash("sha256").update(JSON.stringify(parts)).digest("base64url");
}

// On globalThis: the REST handlers and the console may be separate bundles. One entry per cluster (its latest).
const globalForDesired = globalThis as unknown as { policyplaneDesiredMemo?: Map<string, { key: string; value: unknown }> };
const memo = (globalForDesired.policyplaneDesiredMemo ??= new Map());

/** `render()`'s result for the cluster, reused while `key` is the one it was rendered under. */
export async function memoisedDesired<T>(clusterId: string, key: string, render: () => Promise<T>): Promise<{ value: T; cached: boolean }> {
  const hit = memo.get(clusterId);
  if (hit?.key === key) return { value: hit.value as T, cached: true };
  const value = await render();
  memo.set(clusterId, { key, value });
  return { value, cached: false };
}
