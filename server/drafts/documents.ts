import "server-only";
// Which Policyplane documents are in force: the released version of every
// policy, optionally overlaid with drafted versions (an editor's draft or a
// change request's items) to see what a proposal would change.
import { and, eq, gt, inArray, isNotNull, isNull, or, sql } from "drizzle-orm";
import type { Queryable } from "@/db/client";
import { changeRequestItems, changeRequests, policies, policyVersions, type StoredPolicyDocument } from "@/db/schema";
import { NotFound } from "@/server/errors";
import type { ExceptionDocument } from "@/server/policy/documents/schema";

export interface StoredDocument {
  policyId: string;
  name: string;
  /** "Exception": an approved exception (server/exceptions/in-force.ts), counted by the engine in its window. */
  kind: "Policy" | "ComplianceConstraint" | "Exception";
  tier: string;
  tenantId: string | null;
  version: number;
  document: StoredPolicyDocument | ExceptionDocument;
}

export interface VersionRef {
  policyId: string;
  version: number;
}

async function documentsAt(db: Queryable, refs: VersionRef[]): Promise<StoredDocument[]> {
  if (refs.length === 0) return [];
  const rows = await db
    .select({ p: policies, v: policyVersions })
    .from(policyVersions)
    .innerJoin(policies, eq(policies.id, policyVersions.policyId))
    .where(or(...refs.map((r) => and(eq(policyVersions.policyId, r.policyId), eq(policyVersions.version, r.version)))));
  return rows
    .map(({ p, v }) => ({
      policyId: p.id,
      name: p.name,
      kind: p.kind,
      tier: p.tier,
      tenantId: p.tenantId,
      version: v.version,
      document: v.document,
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The current release: every policy at its released version. */
export async function releasedDocuments(db: Queryable): Promise<StoredDocument[]> {
  const rows = await db
    .select({ policyId: policies.id, version: policies.releasedVersion })
    .from(policies)
    .where(isNotNull(policies.releasedVersion));
  return documentsAt(
    db,
    rows.map((r) => ({ policyId: r.policyId, version: r.version! })),
  );
}

/** The release (read here unless the caller already has it) with some policies replaced by (or extended with) other versions. */
export async function releasedWith(db: Queryable, overlay: VersionRef[], release?: StoredDocument[]): Promise<StoredDocument[]> {
  const replaced = new Set(overlay.map((o) => o.policyId));
  const base = (release ?? (await releasedDocuments(db))).filter((d) => !replaced.has(d.policyId));
  return [...base, ...(await documentsAt(db, overlay))].sort((a, b) => a.name.localeCompare(b.name));
}

/** A version with the tenant of its policy (null: organisation-wide), for read checks. */
export type TenantVersionRef = VersionRef & { tenantId: string | null };

/** Every policy's newest unreleased version (drafts not yet in a release). */
export async function pendingDrafts(db: Queryable): Promise<TenantVersionRef[]> {
  const rows = await db
    .select({ policyId: policies.id, version: policies.latestVersion, tenantId: policies.tenantId })
    .from(policies)
    .where(or(isNull(policies.releasedVersion), gt(policies.latestVersion, sql`${policies.releasedVersion}`)));
  return rows;
}

/** The versions a change request proposes. */
export async function changeRequestOverlay(db: Queryable, changeRequestId: string): Promise<TenantVersionRef[]> {
  const [cr] = await db.select({ id: changeRequests.id }).from(changeRequests).where(eq(changeRequests.id, changeRequestId));
  if (!cr) throw new NotFound("No such change request.");
  const items = await db
    .select({ policyId: changeRequestItems.policyId, version: changeRequestItems.toVersion, tenantId: policies.tenantId })
    .from(changeRequestItems)
    .innerJoin(policies, eq(policies.id, changeRequestItems.policyId))
    .where(inArray(changeRequestItems.changeRequestId, [changeRequestId]));
  return items;
}
