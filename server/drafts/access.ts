import "server-only";
// Who may draft what, decided on the server from the actor's grants: an author
// drafts namespace-tier policies of the tenants where they hold author; the
// admin tiers, the baseline and compliance constraints belong to the committee
// (approver) and admins.
import { hasRole, mayDraftSomewhere } from "@/server/auth/authorize";
import type { Actor, ServiceContext } from "@/server/context";
import { Forbidden } from "@/server/errors";

/** Anyone below author cannot draft anything: refuse before reading their input. */
export function requireSomeAuthorRole(ctx: ServiceContext): void {
  if (!mayDraftSomewhere(ctx.actor.grants))
    throw new Forbidden(`Drafting policies needs the author role; you are signed in as ${ctx.actor.label}, a viewer.`);
}

export interface DraftTarget {
  kind: "Policy" | "ComplianceConstraint";
  tier: string;
  tenantId: string | null;
}

export function mayDraft(actor: Actor, target: DraftTarget): boolean {
  if (target.kind === "Policy" && target.tier === "namespace" && target.tenantId) return hasRole(actor, "author", target.tenantId);
  return hasRole(actor, "approver");
}

export function requireDraftRight(actor: Actor, target: DraftTarget, what: string): void {
  if (mayDraft(actor, target)) return;
  const needs =
    target.kind === "Policy" && target.tier === "namespace" && target.tenantId
      ? "the author role in its tenant"
      : target.kind === "ComplianceConstraint"
        ? "the approver role (committee) or admin: it is a compliance constraint"
        : `the approver role (committee) or admin: it is in the ${target.tier} tier`;
  throw new Forbidden(`Drafting ${what} needs ${needs}; you are signed in as ${actor.label}.`);
}
