import "server-only";
// One policy with every version (author, time, the change requests that carry
// it, and its YAML for the history diff).
import { asc, eq } from "drizzle-orm";
import { changeRequestItems, changeRequests, policies, policyVersions, tenants } from "@/db/schema";
import { requireReadable } from "@/server/auth/visibility";
import type { ServiceContext } from "@/server/context";
import { NotFound } from "@/server/errors";
import { mayDraft } from "./access";
import type { GetPolicyInput } from "./schemas";
import { documentToYaml } from "@/lib/policy-yaml";

export async function getPolicy({ ctx, input }: { ctx: ServiceContext; input: GetPolicyInput }) {
  const [found] = await ctx.db
    .select({ p: policies, tenantName: tenants.name })
    .from(policies)
    .leftJoin(tenants, eq(tenants.id, policies.tenantId))
    .where(eq(policies.name, input.name));
  const { p, tenantName } = requireReadable(
    ctx.actor,
    found && { ...found, tenantId: found.p.tenantId },
    () => new NotFound(`No policy named ${input.name}.`),
  );
  const versions = await ctx.db.select().from(policyVersions).where(eq(policyVersions.policyId, p.id)).orderBy(asc(policyVersions.version));
  const carriedBy = await ctx.db
    .select({
      number: changeRequests.number,
      title: changeRequests.title,
      state: changeRequests.state,
      toVersion: changeRequestItems.toVersion,
    })
    .from(changeRequestItems)
    .innerJoin(changeRequests, eq(changeRequests.id, changeRequestItems.changeRequestId))
    .where(eq(changeRequestItems.policyId, p.id));
  return {
    policy: {
      id: p.id,
      kind: p.kind,
      name: p.name,
      tier: p.tier,
      tenant: tenantName,
      owner: p.owner,
      description: p.description,
      releasedVersion: p.releasedVersion,
      latestVersion: p.latestVersion,
    },
    mayDraft: mayDraft(ctx.actor, { kind: p.kind, tier: p.tier, tenantId: p.tenantId }),
    versions: versions.map((v) => ({
      version: v.version,
      authorLabel: v.authorLabel,
      createdAt: v.createdAt,
      message: v.message,
      contentHash: v.contentHash,
      state:
        v.version === p.releasedVersion
          ? ("released" as const)
          : p.releasedVersion === null || v.version > p.releasedVersion
            ? ("draft" as const)
            : ("superseded" as const),
      changeRequests: carriedBy.filter((c) => c.toVersion === v.version).map(({ number, title, state }) => ({ number, title, state })),
      yaml: documentToYaml(v.document),
    })),
  };
}
