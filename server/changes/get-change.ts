import "server-only";
// One change request with, per policy, the released YAML and the proposed YAML
// (the side-by-side diff is drawn by the page).
import { and, eq, or } from "drizzle-orm";
import { changeRequestItems, changeRequests, policies, policyVersions, tenants } from "@/db/schema";
import { mayReadTenant } from "@/server/auth/authorize";
import type { ServiceContext } from "@/server/context";
import { NotFound } from "@/server/errors";
import type { GetChangeInput } from "./schemas";
import { documentToYaml } from "@/lib/policy-yaml";
import { platformDefaultChangeOf } from "@/server/platform-default/get";

export async function getChange({ ctx, input }: { ctx: ServiceContext; input: GetChangeInput }) {
  const [row] = await ctx.db
    .select({ cr: changeRequests, tenantName: tenants.name })
    .from(changeRequests)
    .leftJoin(tenants, eq(tenants.id, changeRequests.tenantId))
    .where(eq(changeRequests.number, input.number));
  const notFound = new NotFound(`No change request #${input.number}.`);
  if (!row) throw notFound;
  const items = await ctx.db
    .select({
      policyId: policies.id,
      tenantId: policies.tenantId,
      name: policies.name,
      kind: policies.kind,
      tier: policies.tier,
      fromVersion: changeRequestItems.fromVersion,
      toVersion: changeRequestItems.toVersion,
    })
    .from(changeRequestItems)
    .innerJoin(policies, eq(policies.id, changeRequestItems.policyId))
    .where(eq(changeRequestItems.changeRequestId, row.cr.id));
  // Readable only by someone who may read every policy in it (a request spanning tenants has no single tenant).
  if (!items.every((i) => mayReadTenant(ctx.actor, i.tenantId))) throw notFound;
  const wanted = items.flatMap((i) => [
    { policyId: i.policyId, version: i.toVersion },
    ...(i.fromVersion === null ? [] : [{ policyId: i.policyId, version: i.fromVersion }]),
  ]);
  const versions =
    wanted.length === 0
      ? []
      : await ctx.db
          .select({ policyId: policyVersions.policyId, version: policyVersions.version, document: policyVersions.document })
          .from(policyVersions)
          .where(or(...wanted.map((w) => and(eq(policyVersions.policyId, w.policyId), eq(policyVersions.version, w.version)))));
  const yamlOf = (policyId: string, version: number | null) => {
    const v = version === null ? undefined : versions.find((x) => x.policyId === policyId && x.version === version);
    return v ? documentToYaml(v.document) : "";
  };
  const { cr } = row;
  const platformDefault = await platformDefaultChangeOf(ctx.db, cr.id);
  // The staged change this one promotes, and the promotions of this one (a staged change's way to enforcement).
  const [promotedFrom] = cr.promotedFromId
    ? await ctx.db.select({ number: changeRequests.number }).from(changeRequests).where(eq(changeRequests.id, cr.promotedFromId))
    : [];
  const promotions = await ctx.db
    .select({ number: changeRequests.number, state: changeRequests.state })
    .from(changeRequests)
    .where(eq(changeRequests.promotedFromId, cr.id));
  return {
    id: cr.id,
    number: cr.number,
    title: cr.title,
    description: cr.description,
    state: cr.state,
    authorLabel: cr.authorLabel,
    tenant: row.tenantName,
    createdAt: cr.createdAt,
    contentHash: cr.contentHash,
    /** Staged (issue 13 §11): released audit-only, never enforced. */
    staged: cr.staged,
    promotedFrom: promotedFrom?.number ?? null,
    promotions: promotions.sort((a, b) => a.number - b.number),
    /** A platform default change: the setting in force when proposed and the one proposed. */
    platformDefault,
    items: items
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((i) => ({
        name: i.name,
        kind: i.kind,
        tier: i.tier,
        fromVersion: i.fromVersion,
        toVersion: i.toVersion,
        fromYaml: yamlOf(i.policyId, i.fromVersion),
        toYaml: yamlOf(i.policyId, i.toVersion),
      })),
  };
}
