import "server-only";
// Changing the platform default is a change request (issue 10): an admin
// proposes the setting, the committee approves it under the approval rules
// (the global-tier rule; the loosening rule too when it uncovers any namespace),
// and only its release makes it the next version, compiled into every
// cluster's desired state. Nothing writes a version directly any more.
import { sql } from "drizzle-orm";
import { changeRequestPlatformDefaults, changeRequests, platformDefaultVersions } from "@/db/schema";
import { recordAudit } from "@/server/audit/record";
import { requireRole } from "@/server/auth/authorize";
import { withTransaction, type ServiceContext } from "@/server/context";
import { Conflict, InvalidInput } from "@/server/errors";
import { contentHash } from "@/server/lib/canonical";
import { notify } from "@/server/notifications/notify";
import type { PlatformDefault } from "@/server/policy/model";
import { describePlatformDefaultChange, formatPlatformDefault, loosensPlatformDefault } from "./change";
import { openPlatformDefaultChange, platformDefaultInForce, setting, type PlatformDefaultChange } from "./get";
import type { ProposePlatformDefaultInput } from "./schemas";

// Any constant: serialises proposals and the releases that write the next version.
const PLATFORM_DEFAULT_LOCK = 7_301_912;

/** What the approvals are bound to: the version it starts from and the setting it proposes. */
const hashOf = (fromVersion: number, to: PlatformDefault) => contentHash({ platformDefault: { fromVersion, ...to } });

export async function proposePlatformDefault({ ctx, input }: { ctx: ServiceContext; input: ProposePlatformDefaultInput }) {
  requireRole(ctx.actor, "admin");
  return withTransaction(ctx, async (tx) => {
    await tx.db.execute(sql`SELECT pg_advisory_xact_lock(${PLATFORM_DEFAULT_LOCK})`);
    const current = await platformDefaultInForce(tx.db);
    if (current.version !== input.expectedVersion)
      throw new Conflict(
        `The platform default changed meanwhile (now version ${current.version}, by ${current.authorLabel}); reload and decide again.`,
      );
    const from = setting(current);
    const to = setting(input);
    const summary = describePlatformDefaultChange(from, to);
    if (summary.length === 0)
      throw new InvalidInput(
        `The platform default is already ${formatPlatformDefault(to)} (version ${current.version}): nothing to propose.`,
        "enabled",
      );
    const open = await openPlatformDefaultChange(tx.db);
    if (open)
      throw new Conflict(
        `Change request #${open.number} already proposes a platform default change: decide or withdraw it before proposing another.`,
      );
    const hash = hashOf(current.version, to);
    const title = `Platform default: ${summary.join(", ")}`;
    const [cr] = await tx.db
      .insert(changeRequests)
      .values({
        title,
        description: input.message,
        authorId: ctx.actor.type === "user" ? ctx.actor.id : null,
        authorLabel: ctx.actor.label,
        tenantId: null,
        contentHash: hash,
      })
      .returning();
    await tx.db
      .insert(changeRequestPlatformDefaults)
      .values({ changeRequestId: cr!.id, fromVersion: current.version, ...to, excludeNamespaces: [...to.excludeNamespaces] });
    const loosens = loosensPlatformDefault(from, to);
    await recordAudit(tx, {
      action: "change.platform_default_proposed",
      targetType: "change_request",
      targetId: cr!.id,
      targetLabel: `#${cr!.number} ${title}`,
      before: { version: current.version, ...from },
      after: { ...to, loosens, reason: input.message, contentHash: hash },
    });
    await notify(tx, { type: "change.moved", cr: cr!, action: "submit", next: "in-review", details: {} });
    return { number: cr!.number, state: cr!.state, contentHash: hash, loosens };
  });
}

/**
 * Inside a release's transaction: the released change's setting becomes the next version, in force
 * from this release on (graph, lint, the decision API and every cluster's compiled objects read it).
 * Refused when another version took effect since it was proposed. A rollback to release N
 * (`rollbackTo`) restores N's setting this way: the version says so, and names this release.
 */
export async function releasePlatformDefaultChange(
  tx: ServiceContext,
  cr: { id: string; number: number; authorId: string | null; authorLabel: string; description: string },
  change: PlatformDefaultChange,
  release: number,
  rollbackTo: number | null = null,
): Promise<void> {
  await tx.db.execute(sql`SELECT pg_advisory_xact_lock(${PLATFORM_DEFAULT_LOCK})`);
  const current = await platformDefaultInForce(tx.db);
  if (current.version !== change.fromVersion)
    throw new Conflict(
      `Change request #${cr.number} changes platform default version ${change.fromVersion}, but version ${current.version} has taken effect since: withdraw it and propose the change again from the current version.`,
    );
  const version = current.version + 1;
  await tx.db.insert(platformDefaultVersions).values({
    version,
    enabled: change.to.enabled,
    excludeNamespaces: [...change.to.excludeNamespaces],
    authorId: cr.authorId,
    authorLabel: cr.authorLabel,
    message:
      rollbackTo === null
        ? `${cr.description} (change request #${cr.number})`
        : `Release ${release} rolls back to release ${rollbackTo}'s platform default: ${cr.description} (change request #${cr.number})`,
    releaseNumber: release,
  });
  await recordAudit(tx, {
    action: "platform-default.changed",
    targetType: "platform_default",
    targetId: "platform-default",
    targetLabel: `platform default v${version}`,
    before: { version: current.version, ...change.from },
    after: { version, ...change.to, release, changeRequest: cr.number, loosens: change.loosens, rollbackTo },
  });
}
