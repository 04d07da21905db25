import "server-only";
// Who may read what of the audit trail.
import { readableTenantIds } from "@/server/auth/authorize";
import type { Actor } from "@/server/context";
import { Forbidden } from "@/server/errors";

/**
 * The chain spans every tenant (its counts and head hash are organisation-wide):
 * only callers with an organisation-wide grant (auditors, admins) may check it.
 */
export function requireOrganisationReader(actor: Actor): void {
  if (readableTenantIds(actor) !== undefined) {
    throw new Forbidden(
      `Verifying the audit chain needs an organisation-wide role (auditor or admin); you are signed in as ${actor.label}.`,
    );
  }
}
