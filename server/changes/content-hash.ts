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

/**
 * `staged`: the change is staged (issue 13 §11), so its release enforces nothing. It is part of what an approver
 * approves: marking or unmarking it gives another hash, which voids the approvals as an edit does.
 */
export async function changeContentHash(db: Queryable, items: readonly HashedItem[], staged = false): Promise<string> {
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
  const hash = contentHash(
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
  // Unstaged hashes are as they always were (approvals given before staging existed stay bound).
  return staged ? contentHash({ policies: hash, staged: true }) : hash;
}
