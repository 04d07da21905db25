import "server-only";
// Lint errors block submission (issue 13 §2): a change request goes to review
// only when the engine's lint of the set with the change in place finds no
// error that concerns it (a finding on one of its documents, or one the change
// brings elsewhere, e.g. a constraint edit that now conflicts with an allow).
// Proposing, submitting, resubmitting and an edit that keeps a request in
// review all ask here, inside their transaction. Warnings never block; a lint
// that could not finish (the engine's time limit) blocks, with a 409 to retry.
import type { Queryable } from "@/db/client";
import type { VersionRef } from "@/server/drafts/documents";
import { Conflict, InvalidInput } from "@/server/errors";
import { describeBlockingFinding, type BlockingFinding } from "@/lib/changes/lint-block";
import { lintErrorsOf } from "./impact-service";

const LISTED = 5;

/** The refusal for these errors (pure, for the services and their tests). */
export function lintRefusal(subject: string, errors: readonly BlockingFinding[], field: (f: BlockingFinding) => string): InvalidInput {
  const listed = errors.slice(0, LISTED).map(describeBlockingFinding);
  const more = errors.length > LISTED ? `; and ${errors.length - LISTED} more` : "";
  const first = errors[0]!;
  return new InvalidInput(
    `${subject} cannot go to review: the lint finds ${errors.length} error(s) to fix first: ${listed.join("; ")}${more}.`,
    field(first),
    first.line ? { line: first.line, column: 1 } : undefined,
  );
}

/**
 * Refuses (400, naming each error's policy, line and finding) when the lint of the release with
 * `overlay` in place has an error that concerns `items`. `field` names the input an error belongs
 * to (REST: the document that carries it).
 */
export async function requireNoLintErrors(
  db: Queryable,
  subject: string,
  overlay: VersionRef[],
  items: { kind: string; name: string }[],
  field: (f: BlockingFinding) => string = () => "policies",
): Promise<void> {
  const { errors, unavailable } = await lintErrorsOf(db, overlay, items);
  if (errors.length > 0) throw lintRefusal(subject, errors, field);
  // Unchecked is not clean: the lint must vouch for what goes to review.
  if (unavailable)
    throw new Conflict(`${subject} cannot go to review yet: the lint could not finish (${unavailable}) Try again in a moment.`);
}
