import "server-only";
// Bundle drafted policies into a change request: each item goes from the
// released version (null for a new policy) to the latest draft. The request's
// content hash covers exactly those versions' content, so an approval can be
// bound to it (DESIGN.md, lifecycle).
import { and, eq, inArray } from "drizzle-orm";
import { changeRequestItems, changeRequests, OPEN_CHANGE_REQUEST_STATES, policies, policyVersions } from "@/db/schema";
import { recordAudit } from "@/server/audit/record";
import { mayReadTenant } from "@/server/auth/authorize";
import { withTransaction, type ServiceContext } from "@/server/context";
import { Conflict, InvalidInput, NotFound, violatedUniqueConstraint } from "@/server/errors";
import { contentHash } from "@/server/lib/canonical";
import { requireDraftRight, requireSomeAuthorRole } from "@/server/drafts/access";
import type { ProposeChangeInput } from "./schemas";

export async function proposeChange({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: ProposeChangeInput;
}): Promise<{ id: string; number: number }> {
  requireSomeAuthorRole(ctx);
  const names = [...new Set(input.policies)];
  if (names.length === 0) throw new InvalidInput("Choose at least one drafted policy to propose.", "policies");
  if (!input.title.trim()) throw new InvalidInput("Give the change a title.", "title");
  return withTransaction(ctx, async (tx) => {
    // Another tenant's policy is as missing as one that does not exist.
    const rows = (await tx.db.select().from(policies).where(inArray(policies.name, names))).filter((r) =>
      mayReadTenant(ctx.actor, r.tenantId),
    );
    const missing = names.filter((n) => !rows.some((r) => r.name === n));
    if (missing.length > 0) throw new NotFound(`No policy named ${missing.join(", ")}.`);
    for (const p of rows) {
      requireDraftRight(
        ctx.actor,
        { kind: p.kind, tier: p.tier, tenantId: p.tenantId },
        `${p.kind === "Policy" ? "policy" : "constraint"} ${p.name}`,
      );
      if (p.releasedVersion !== null && p.latestVersion <= p.releasedVersion)
        throw new InvalidInput(`${p.name} has no draft: its latest version is the released one.`, "policies");
    }
    // The same drafted version in another open change request would be reviewed twice.
    const open = await tx.db
      .select({ number: changeRequests.number, policyId: changeRequestItems.policyId, toVersion: changeRequestItems.toVersion })
      .from(changeRequestItems)
      .innerJoin(changeRequests, eq(changeRequests.id, changeRequestItems.changeRequestId))
      .where(
        and(
          inArray(changeRequests.state, [...OPEN_CHANGE_REQUEST_STATES]),
          inArray(
            changeRequestItems.policyId,
            rows.map((r) => r.id),
          ),
        ),
      );
    for (const p of rows) {
      const dup = open.find((o) => o.policyId === p.id && o.toVersion === p.latestVersion);
      if (dup) throw new Conflict(`Version ${p.latestVersion} of ${p.name} is already proposed in change #${dup.number}.`);
    }
    const versions = await tx.db
      .select({ policyId: policyVersions.policyId, version: policyVersions.version, hash: policyVersions.contentHash })
      .from(policyVersions)
      .where(
        inArray(
          policyVersions.policyId,
          rows.map((r) => r.id),
        ),
      );
    const hashOf = (policyId: string, version: number | null) =>
      version === null ? null : (versions.find((v) => v.policyId === policyId && v.version === version)?.hash ?? null);
    const items = rows
      .map((p) => ({
        policyId: p.id,
        name: p.name,
        kind: p.kind,
        fromVersion: p.releasedVersion,
        toVersion: p.latestVersion,
        fromHash: hashOf(p.id, p.releasedVersion),
        toHash: hashOf(p.id, p.latestVersion),
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
    const hash = contentHash(
      items.map(({ name, kind, fromVersion, toVersion, fromHash, toHash }) => ({ name, kind, fromVersion, toVersion, fromHash, toHash })),
    );
    const tenantIds = [...new Set(rows.map((r) => r.tenantId))];
    const tenantId = tenantIds.length === 1 ? (tenantIds[0] ?? null) : null;
    const [cr] = await tx.db
      .insert(changeRequests)
      .values({
        title: input.title.trim(),
        description: input.description.trim(),
        authorId: ctx.actor.type === "user" ? ctx.actor.id : null,
        authorLabel: ctx.actor.label,
        tenantId,
        contentHash: hash,
      })
      .returning({ id: changeRequests.id, number: changeRequests.number });
    // The check above reads before either of two racing proposals writes; the partial unique index decides between them.
    await tx.db
      .insert(changeRequestItems)
      .values(items.map((i) => ({ changeRequestId: cr!.id, policyId: i.policyId, fromVersion: i.fromVersion, toVersion: i.toVersion })))
      .catch((error: unknown) => {
        if (violatedUniqueConstraint(error) !== "change_request_items_open_version") throw error;
        throw new Conflict(
          `A drafted version of ${items.map((i) => i.name).join(", ")} was proposed in another change request at the same moment. Reload to see it.`,
        );
      });
    await recordAudit(tx, {
      action: "change.proposed",
      targetType: "change_request",
      targetId: cr!.id,
      targetLabel: `#${cr!.number} ${input.title.trim()}`,
      tenantId,
      after: {
        title: input.title.trim(),
        contentHash: hash,
        items: items.map(({ name, fromVersion, toVersion }) => ({ policy: name, fromVersion, toVersion })),
      },
    });
    return { id: cr!.id, number: cr!.number };
  });
}
