// The organisation's fixed vocabularies. No imports: browser components use
// them too, without pulling the schema (and drizzle) into the page bundle.
export const ROLES = ["viewer", "author", "approver", "admin"] as const;
export type Role = (typeof ROLES)[number];
export const COMMITTEE_FUNCTIONS = ["security", "networking", "platform", "application"] as const;
export type CommitteeFunction = (typeof COMMITTEE_FUNCTIONS)[number];
export const ENVIRONMENTS = ["production", "staging", "development"] as const;
export const CRITICALITIES = ["critical", "high", "medium", "low"] as const;
/** A change request's life (DESIGN.md, "Lifecycle of a change"); server/workflow/states.ts says which moves are legal. */
export const CHANGE_REQUEST_STATES = ["draft", "in-review", "changes-requested", "approved", "released", "rolled-out", "rejected", "withdrawn"] as const;
export type ChangeRequestState = (typeof CHANGE_REQUEST_STATES)[number];
/** States in which a change request still holds its drafted versions (one open request per drafted version). */
export const OPEN_CHANGE_REQUEST_STATES = ["draft", "in-review", "changes-requested", "approved"] as const satisfies readonly ChangeRequestState[];
