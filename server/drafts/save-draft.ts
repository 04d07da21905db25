import "server-only";
// Save the editor's YAML as a new immutable draft version of a policy (or as
// version 1 of a new one). Nothing reaches a release from here: a draft only
// becomes live through a change request.
import { and, eq } from "drizzle-orm";
import { policies, policyVersions } from "@/db/schema";
import { recordAudit } from "@/server/audit/record";
import { requireReadable } from "@/server/auth/visibility";
import { withTransaction, type ServiceContext } from "@/server/context";
import { Conflict, InvalidInput, NotFound } from "@/server/errors";
import { contentHash } from "@/server/lib/canonical";
import { tierOf } from "@/lib/vocabulary";
import { requireDraftRight, requireSomeAuthorRole } from "./access";
import type { SaveDraftInput } from "./schemas";
import { readContentHash } from "./engine";
import type { PolicyCheck, PolicyDocumentOf } from "./check";
import { requireValidPolicyYaml } from "./validate";

export interface SaveDraftResult {
  policyId: string;
  name: string;
  version: number;
  /** False when the content equals the latest version (nothing written). */
  created: boolean;
}

export async function saveDraft({ ctx, input }: { ctx: ServiceContext; input: SaveDraftInput }): Promise<SaveDraftResult> {
  requireSomeAuthorRole(ctx);
  const { document, tenantId, positions } = await requireValidPolicyYaml(ctx.db, input.yaml);
  return writeDraft({
    ctx,
    document,
    tenantId,
    policyName: input.policyName,
    baseVersion: input.baseVersion,
    message: input.message,
    positions,
  });
}

/** Writes a validated document as the next version (shared by save, restore and templates). */
export async function writeDraft({
  ctx,
  document,
  tenantId,
  policyName,
  baseVersion,
  message,
  positions,
  parentVersion = baseVersion,
}: {
  ctx: ServiceContext;
  document: PolicyDocumentOf;
  tenantId: string | null;
  policyName: string | null;
  baseVersion: number | null;
  message: string;
  /** Where fields are in the editor's YAML, to place refusals (absent when no one typed it). */
  positions?: PolicyCheck["positions"];
  /** The version the content was written from (default: the base version the writer checked; null: unknown). */
  parentVersion?: number | null;
}): Promise<SaveDraftResult> {
  const name = document.metadata.name;
  const tier = tierOf(document);
  const at = (field: keyof PolicyCheck["positions"]) => positions?.[field];
  requireDraftRight(ctx.actor, { kind: document.kind, tier, tenantId }, `${document.kind === "Policy" ? "policy" : "constraint"} ${name}`);

  return withTransaction(ctx, async (tx) => {
    let existing: typeof policies.$inferSelect | undefined;
    if (policyName !== null) {
      // Locked until commit: a concurrent save of this policy waits here and then sees this one's version.
      const [locked] = await tx.db.select().from(policies).where(eq(policies.name, policyName)).for("update");
      existing = requireReadable(ctx.actor, locked, () => new NotFound(`No policy named ${policyName}.`));
      if (name !== policyName)
        throw new InvalidInput(
          `metadata.name: a policy keeps its name (${policyName}); to make a copy under another name, create a new policy`,
          "metadata.name",
          at("metadata.name"),
        );
      if (document.kind !== existing.kind)
        throw new InvalidInput(`kind: ${policyName} is a ${existing.kind}; its kind cannot change`, "kind", at("kind"));
      requireDraftRight(
        ctx.actor,
        { kind: existing.kind, tier: existing.tier, tenantId: existing.tenantId },
        `${existing.kind === "Policy" ? "policy" : "constraint"} ${policyName}`,
      );
      if (baseVersion !== null && existing.latestVersion !== baseVersion) {
        throw new Conflict(
          `${policyName} has changed since you opened it: version ${existing.latestVersion} is newer than your version ${baseVersion}. Reload to see it, then reapply your edit.`,
        );
      }
    } else {
      const [clash] = await tx.db.select({ kind: policies.kind }).from(policies).where(eq(policies.name, name));
      if (clash)
        throw new InvalidInput(
          `metadata.name: a ${clash.kind === "Policy" ? "policy" : "constraint"} named ${name} already exists; choose another name or edit that one`,
          "metadata.name",
          at("metadata.name"),
        );
    }

    const hash = contentHash(document);
    if (existing) {
      const [latest] = await tx.db
        .select({ hash: policyVersions.contentHash, document: policyVersions.document })
        .from(policyVersions)
        .where(and(eq(policyVersions.policyId, existing.id), eq(policyVersions.version, existing.latestVersion)));
      if (latest && (latest.hash === hash || readContentHash(latest.document) === hash))
        return { policyId: existing.id, name, version: existing.latestVersion, created: false };
    }

    const version = (existing?.latestVersion ?? 0) + 1;
    const row = {
      kind: document.kind,
      tier,
      tenantId,
      owner: document.metadata.owner ?? existing?.owner ?? ctx.actor.label,
      description: document.metadata.description ?? "",
      latestVersion: version,
      updatedAt: new Date(),
    };
    let policyId: string;
    if (existing) {
      await tx.db.update(policies).set(row).where(eq(policies.id, existing.id));
      policyId = existing.id;
    } else {
      const [created] = await tx.db
        .insert(policies)
        .values({ ...row, name })
        .returning({ id: policies.id });
      policyId = created!.id;
    }
    await tx.db.insert(policyVersions).values({
      policyId,
      version,
      document,
      contentHash: hash,
      parentVersion: existing ? parentVersion : null,
      authorId: ctx.actor.type === "user" ? ctx.actor.id : null,
      authorLabel: ctx.actor.label,
      message: message.trim(),
    });
    await recordAudit(tx, {
      action: "policy.draft_saved",
      targetType: "policy",
      targetId: policyId,
      targetLabel: name,
      tenantId,
      before: existing ? { version: existing.latestVersion, tier: existing.tier } : null,
      after: { version, tier, contentHash: hash, message: message.trim() },
    });
    return { policyId, name, version, created: true };
  });
}
