import "server-only";
// A cluster's desired state, memoised by what it is rendered from. The agent
// reads it every few seconds (If-None-Match); compiling the release for the
// cluster, with its inventory loaded, for each read only to answer 304 was a
// full compile per cluster per poll. The key is read with a few small queries:
//   - the release the cluster should run (its documents and staged versions are
//     the release's, immutable once released);
//   - the approved exceptions in force now (their count and a hash of their
//     numbers and content hashes, one row computed by the database), which is
//     all the render's instant decides;
//   - the platform default that release carries;
//   - the inventory's revision (bumped by triggers on every statement that
//     changes rows of clusters, namespaces, workloads, services, external
//     destinations: migrations 0028 and 0030; a statement that changes nothing,
//     such as an agent's push of an unchanged cluster, leaves it);
//   - the cluster's capabilities (CNI, admin policy API, Istio) and labels.
import { createHash } from "node:crypto";
import { and, eq, gt, lte, sql } from "drizzle-orm";
import type { Queryable } from "@/db/client";
import { exceptions, inventoryRevision } from "@/db/schema";
import { platformDefaultOfRelease } from "@/server/platform-default/get";
import { perProcess } from "@/server/lib/per-process";

type ClusterRef = {
  id: string;
  labels: unknown;
  region: string;
  profile: { cni: string | null; adminPolicyApi: string | null; istio: boolean } | null;
};

/** The render inputs' fingerprint for `cluster` at `at` (null release: nothing is desired). */
export async function desiredKey(db: Queryable, cluster: ClusterRef, release: { id: string; number: number } | null, at: Date) {
  const [[inForce], platformDefault, [inventory]] = await Promise.all([
    exceptionsInForceKey(db, at),
    release ? platformDefaultOfRelease(db, release.number) : null,
    db.select({ revision: inventoryRevision.revision }).from(inventoryRevision),
  ]);
  const parts = {
    release: release?.id ?? null,
    exceptions: inForce ? [inForce.count, inForce.hash] : null,
    platformDefault: platformDefault && [platformDefault.version, platformDefault.enabled, platformDefault.excludeNamespaces],
    inventory: inventory?.revision ?? null,
    capabilities: [cluster.profile?.cni ?? null, cluster.profile?.adminPolicyApi ?? null, cluster.profile?.istio ?? false],
    cluster: [cluster.region, cluster.labels],
  };
  return createHash("sha256").update(JSON.stringify(parts)).digest("base64url");
}

/**
 * The approved exceptions in force at `at` (starts ≤ at < expires, as inWindowAt judges them) as one
 * row: how many, and an md5 of their `number@contentHash` in number order (the content hash binds
 * the flow, the window and the justification: all an exception's document is made of).
 */
function exceptionsInForceKey(db: Queryable, at: Date) {
  return db
    .select({
      count: sql<number>`count(*)::int`,
      hash: sql<
        string | null
      >`md5(string_agg(${exceptions.number}::text || '@' || ${exceptions.contentHash}, ',' ORDER BY ${exceptions.number}))`,
    })
    .from(exceptions)
    .where(and(eq(exceptions.state, "approved"), lte(exceptions.startsAt, at), gt(exceptions.expiresAt, at)));
}

// One entry per cluster (its latest).
const memo = perProcess("DesiredMemo", () => new Map<string, { key: string; value: unknown }>());
const renders = perProcess("DesiredRenders", () => ({ count: 0 }));

/** How many desired states were rendered (memo misses) since the process started. */
export const desiredRenderCount = () => renders().count;

/** `render()`'s result for the cluster, reused while `key` is the one it was rendered under. */
export async function memoisedDesired<T>(clusterId: string, key: string, render: () => Promise<T>): Promise<{ value: T; cached: boolean }> {
  const hit = memo().get(clusterId);
  if (hit?.key === key) return { value: hit.value as T, cached: true };
  renders().count++;
  const value = await render();
  memo().set(clusterId, { key, value });
  return { value, cached: false };
}
