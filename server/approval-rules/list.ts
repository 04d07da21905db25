import "server-only";
// The approval rules as Settings shows them: every rule (disabled ones too), with whether the
// people who hold approver grants today could still satisfy it (a membership removed since the
// rule was saved can make it unsatisfiable: shown, so an admin can mend it).
import { asc } from "drizzle-orm";
import { approvalRules } from "@/db/schema";
import type { ServiceContext } from "@/server/context";
import { unsatisfiableReason } from "@/server/workflow/rules";
import { allTenants, possibleApprovers } from "./people";

/** What a rule says, as the list shows it and its audit events record it. */
export const ruleState = (
  r: Pick<typeof approvalRules.$inferSelect, "key" | "description" | "match" | "requirements" | "enabled" | "version">,
) => ({
  key: r.key,
  description: r.description,
  match: r.match,
  requirements: r.requirements,
  enabled: r.enabled,
  version: r.version,
});

export async function listApprovalRules({ ctx }: { ctx: ServiceContext }) {
  const rules = await ctx.db.select().from(approvalRules).orderBy(asc(approvalRules.key));
  const people = await possibleApprovers(ctx.db);
  const tenants = await allTenants(ctx.db);
  return rules.map((r) => ({
    id: r.id,
    ...ruleState(r),
    updatedBy: r.updatedBy,
    updatedAt: r.updatedAt,
    /** Why no one could satisfy it now (null: someone can). */
    unsatisfiable: unsatisfiableReason(r, people, tenants),
  }));
}
