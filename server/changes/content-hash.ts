import "server-only";
// A change request's content hash: over each item's policy, kind, from/to
// versions and those versions' content hashes, sorted by name. Proposing and
// editing a change both compute it here, so an approval is bound to exactly
// what was proposed.
import { and, eq, or } from "drizzle-orm";
import type { Queryable } from "@/db/client";
import { policyVersions } from "@/db/schema";
import { contentHash } from "@/server/lib/canonical";

export interface HashedItem {
  policyId: string;
  name: string;
  kind: string;
  fromVersion: number | null;
  toVersion: number;
}

export async function changeContentHash(db: Queryable, items: readonly HashedItem[]): Promise<string> {
  const wanted = items.flatMap((i) => [
    { policyId: i.policyId, version: i.toVersion },
    ...(i.fromVersion === null ? [] : [{ policyId: i.policyId, version: i.fromVersion }]),
  ]);
  const versions = wanted.length
    ? await db
        .select({ policyId: policyVersions.policyId, version: policyVersions.version, hash: policyVersions.contentHash })
        .from(policyVersions)
        .where(or(...wanted.map((w) => and(eq(policyVersions.policyId, w.policyId), eq(policyVersions.version, w.version)))))
    : [];
  const hashOf = (policyId: string, version: number | null) =>
    version === null ? null : (versions.find((v) => v.policyId === policyId && v.version === version)?.hash ?? null);
  return contentHash(
    [...items]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((i) => ({
        name: i.name,
        kind: i.kind,
        fromVersion: i.fromVersion,
        toVersion: i.toVersion,
        fromHash: hashOf(i.policyId, i.fromVersion),
        toHash: hashOf(i.policyId, i.toVersion),
      })),
  );
}
