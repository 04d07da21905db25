import "server-only";
// The policy list: every policy and compliance constraint the caller may read,
// with its versions, last change and the engine's lint over the release and
// the inventory.
import { and, asc, eq } from "drizzle-orm";
import { policies, policyVersions, tenants } from "@/db/schema";
import { TIERS } from "@/lib/vocabulary";
import { mayReadTenant } from "@/server/auth/authorize";
import type { ServiceContext } from "@/server/context";
import type { Finding } from "@/server/policy/lint/lint";
import { mayDraft } from "./access";
import type { ListPoliciesInput } from "./schemas";
import { releaseLint } from "@/server/changes/release-lint";

function scopeText(document: Record<string, unknown>): string {
  const scope = (document.spec as { scope?: { regions?: string[]; clusters?: string[] } } | undefined)?.scope;
  const parts = [...(scope?.regions ?? []).map((r) => `region ${r}`), ...(scope?.clusters ?? []).map((c) => `cluster ${c}`)];
  return parts.length > 0 ? parts.join(", ") : "all clusters";
}

/** Lint of the release against the inventory, counted per document ("Kind/name"). */
async function releaseLintByDocument(ctx: ServiceContext): Promise<Map<string, Finding[]>> {
  const { findings } = await releaseLint(ctx.db);
  const byDoc = new Map<string, Finding[]>();
  for (const f of findings) {
    if (!f.document) continue;
    const own = byDoc.get(f.document);
    if (own) own.push(f);
    else byDoc.set(f.document, [f]);
  }
  return byDoc;
}

export async function listPolicies({ ctx, input }: { ctx: ServiceContext; input: ListPoliciesInput }) {
  const rows = await ctx.db
    .select({
      p: policies,
      tenantName: tenants.name,
      latest: {
        createdAt: policyVersions.createdAt,
        authorLabel: policyVersions.authorLabel,
        message: policyVersions.message,
        document: policyVersions.document,
      },
    })
    .from(policies)
    .leftJoin(tenants, eq(tenants.id, policies.tenantId))
    .innerJoin(policyVersions, and(eq(policyVersions.policyId, policies.id), eq(policyVersions.version, policies.latestVersion)))
    .orderBy(asc(policies.name));
  const lintBy = await releaseLintByDocument(ctx);
  const q = input.search?.trim().toLowerCase() ?? "";
  const tierRank = (t: string) => (TIERS as readonly string[]).indexOf(t);
  return rows
    .filter(({ p }) => mayReadTenant(ctx.actor, p.tenantId))
    .map(({ p, tenantName, latest }) => {
      const findings = p.releasedVersion === null ? [] : (lintBy.get(`${p.kind}/${p.name}`) ?? []);
      return {
        id: p.id,
        kind: p.kind,
        name: p.name,
        tier: p.tier,
        tenant: tenantName,
        owner: p.owner,
        description: p.description,
        scope: scopeText(latest.document),
        releasedVersion: p.releasedVersion,
        latestVersion: p.latestVersion,
        hasDraft: p.releasedVersion === null || p.latestVersion > p.releasedVersion,
        lastChange: { at: latest.createdAt, by: latest.authorLabel, message: latest.message },
        lint: {
          errors: findings.filter((f) => f.severity === "error").length,
          warnings: findings.filter((f) => f.severity === "warning").length,
          infos: findings.filter((f) => f.severity === "info").length,
          first: findings[0]?.message ?? null,
        },
        mayDraft: mayDraft(ctx.actor, { kind: p.kind, tier: p.tier, tenantId: p.tenantId }),
      };
    })
    .filter((r) => !q || [r.name, r.description, r.owner, r.tenant ?? "", r.tier, r.kind, r.scope].some((s) => s.toLowerCase().includes(q)))
    .sort(
      (a, b) =>
        Number(a.kind === "Policy") - Number(b.kind === "Policy") ||
        tierRank(a.tier) - tierRank(b.tier) ||
        (a.tenant ?? "").localeCompare(b.tenant ?? "") ||
        a.name.localeCompare(b.name),
    );
}

/** Drafted policies the caller may propose (for the "Propose change" dialog). */
export async function listProposableDrafts({ ctx }: { ctx: ServiceContext }) {
  const all = await listPolicies({ ctx, input: {} });
  return all
    .filter((p) => p.hasDraft && p.mayDraft)
    .map((p) => ({
      name: p.name,
      kind: p.kind,
      tier: p.tier,
      tenant: p.tenant,
      releasedVersion: p.releasedVersion,
      latestVersion: p.latestVersion,
      lastChange: p.lastChange,
    }));
}
