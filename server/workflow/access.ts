import "server-only";
// Who may do what to a change request, decided from the actor's grants and the
// rules the change hits. The author and co-authors never decide on their own change.
import { hasRole } from "@/server/auth/authorize";
import type { Actor } from "@/server/context";
import { Forbidden } from "@/server/errors";
import type { ChangeReview } from "./review";
import { mayFill, type RequiredApproval } from "./rules";

/** The checklist lines the actor could fill (empty: they are not a reviewer of this change). */
export function fillableBy(actor: Actor, review: ChangeReview): RequiredApproval[] {
  return review.evaluation.rules.flatMap((r) => r.required).filter((slot) => mayFill(actor.grants, slot));
}

export function isCoAuthor(actor: Actor, review: ChangeReview): boolean {
  return actor.type === "user" && review.authorIds.has(actor.id);
}

/** Approving, requesting changes and rejecting are for people of a committee function the change needs, never its authors. */
export function requireReviewer(actor: Actor, review: ChangeReview, verb: string, { adminMay = false } = {}): RequiredApproval[] {
  const number = review.cr.number;
  if (isCoAuthor(actor, review)) {
    throw new Forbidden(
      `You cannot ${verb} change request #${number}: you ${review.cr.authorId === actor.id ? "opened it" : "wrote a version it proposes"}, and authors never review their own change.`,
    );
  }
  if (actor.type !== "user") throw new Forbidden(`Only a person can ${verb} a change request; ${actor.label} is an API token.`);
  const fillable = fillableBy(actor, review);
  if (fillable.length > 0 || (adminMay && hasRole(actor, "admin"))) return fillable;
  const wanted = [...new Set(review.evaluation.rules.flatMap((r) => r.required.map((s) => s.function)))];
  const held = [
    ...new Set(
      actor.grants.flatMap((g) => (g.committeeFunction && (g.role === "approver" || g.role === "admin") ? [g.committeeFunction] : [])),
    ),
  ];
  throw new Forbidden(
    `You cannot ${verb} change request #${number}: it needs approvers of ${wanted.join(", ") || "no committee function (no approval rule covers it)"}` +
      (held.length
        ? `, and your committee functions (${held.join(", ")}) do not count for it here.`
        : `, and ${actor.label} holds no committee function.`),
  );
}

/** Editing, submitting and withdrawing are for the request's author, or an admin. */
export function requireAuthorOrAdmin(actor: Actor, review: Pick<ChangeReview, "cr">, verb: string): void {
  if (actor.type === "user" && review.cr.authorId === actor.id) return;
  if (hasRole(actor, "admin")) return;
  throw new Forbidden(
    `Only the author of change request #${review.cr.number} (${review.cr.authorLabel}) or an admin can ${verb} it; you are signed in as ${actor.label}.`,
  );
}
