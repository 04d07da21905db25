import "server-only";
// Change the platform default: an admin-only, audited mutation that writes a
// new immutable version. Until the approval workflow exists (issue 13) an
// admin's change takes effect at once; then it becomes a change request.
import { sql } from "drizzle-orm";
import { platformDefaultVersions } from "@/db/schema";
import { recordAudit } from "@/server/audit/record";
import { requireRole } from "@/server/auth/authorize";
import { withTransaction, type ServiceContext } from "@/server/context";
import { Conflict } from "@/server/errors";
import { platformDefaultInForce, type PlatformDefaultVersion } from "./get";
import type { UpdatePlatformDefaultInput } from "./schemas";

// Any constant: serialises writers of the version sequence.
const PLATFORM_DEFAULT_LOCK = 7_301_912;

export async function updatePlatformDefault({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: UpdatePlatformDefaultInput;
}): Promise<PlatformDefaultVersion> {
  requireRole(ctx.actor, "admin");
  return withTransaction(ctx, async (tx) => {
    await tx.db.execute(sql`SELECT pg_advisory_xact_lock(${PLATFORM_DEFAULT_LOCK})`);
    const current = await platformDefaultInForce(tx.db);
    if (current.version !== input.expectedVersion)
      throw new Conflict(
        `The platform default changed meanwhile (now version ${current.version}, by ${current.authorLabel}); reload and decide again.`,
      );
    const excludeNamespaces = [...input.excludeNamespaces].sort();
    const version = current.version + 1;
    await tx.db.insert(platformDefaultVersions).values({
      version,
      enabled: input.enabled,
      excludeNamespaces,
      authorId: ctx.actor.type === "user" ? ctx.actor.id : null,
      authorLabel: ctx.actor.label,
      message: input.message,
    });
    const state = (v: { enabled: boolean; excludeNamespaces: readonly string[] }, n: number) => ({
      version: n,
      enabled: v.enabled,
      excludeNamespaces: [...v.excludeNamespaces],
    });
    await recordAudit(tx, {
      action: "platform-default.changed",
      targetType: "platform_default",
      targetId: "platform-default",
      targetLabel: `platform default v${version}`,
      before: state(current, current.version),
      after: { ...state({ enabled: input.enabled, excludeNamespaces }, version), message: input.message },
    });
    return platformDefaultInForce(tx.db);
  });
}
