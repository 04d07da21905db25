import "server-only";
// "Restore this version": draft a new version equal to an older one. It goes
// through the same rights as any draft and reaches a release only through a
// change request.
import { and, eq } from "drizzle-orm";
import { policies, policyVersions } from "@/db/schema";
import { requireReadable } from "@/server/auth/visibility";
import type { ServiceContext } from "@/server/context";
import { NotFound } from "@/server/errors";
import { requireSomeAuthorRole } from "./access";
import { writeDraft, type SaveDraftResult } from "./save-draft";
import type { RestoreVersionInput } from "./schemas";
import { requireValidPolicyYaml } from "./validate";
import { documentToYaml } from "@/lib/policy-yaml";

export async function restoreVersion({ ctx, input }: { ctx: ServiceContext; input: RestoreVersionInput }): Promise<SaveDraftResult> {
  requireSomeAuthorRole(ctx);
  const [found] = await ctx.db.select().from(policies).where(eq(policies.name, input.policyName));
  const policy = requireReadable(ctx.actor, found, () => new NotFound(`No policy named ${input.policyName}.`));
  const [old] = await ctx.db
    .select({ document: policyVersions.document })
    .from(policyVersions)
    .where(and(eq(policyVersions.policyId, policy.id), eq(policyVersions.version, input.version)));
  if (!old) throw new NotFound(`${input.policyName} has no version ${input.version}.`);
  // Re-read: an old version must still be valid today (the tenant may be gone).
  const { document, tenantId } = await requireValidPolicyYaml(ctx.db, documentToYaml(old.document));
  return writeDraft({
    ctx,
    document,
    tenantId,
    policyName: policy.name,
    baseVersion: policy.latestVersion,
    message: `Restored version ${input.version}`,
    // Its content comes from the old version, not from the latest: a rebase must not take it as holding what came between.
    parentVersion: input.version,
  });
}
