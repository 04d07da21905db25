// The organisation's fixed vocabularies. No imports: browser components use
// them too, without pulling the schema (and drizzle) into the page bundle.
export const ROLES = ["viewer", "author", "approver", "admin"] as const;
export type Role = (typeof ROLES)[number];
export const COMMITTEE_FUNCTIONS = ["security", "networking", "platform", "application"] as const;
export type CommitteeFunction = (typeof COMMITTEE_FUNCTIONS)[number];
export const ENVIRONMENTS = ["production", "staging", "development"] as const;
export const CRITICALITIES = ["critical", "high", "medium", "low"] as const;
