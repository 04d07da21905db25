// Policyplane's fixed vocabularies: one declaration each, shared by the
// database schema, the engine's document schema, the services and the console.
// Imports only types: browser components use these lists too, without pulling
// zod, drizzle or the engine into the page bundle.
import type { PolicyplaneDocument } from "@/server/policy/documents/schema";

// The organisation.
export const ROLES = ["viewer", "author", "approver", "admin"] as const;
export type Role = (typeof ROLES)[number];
/** What a machine token may do; each REST endpoint asks for exactly one (issue 18). */
export const TOKEN_SCOPES = ["decide", "observed-state", "flows", "manifests", "export", "propose", "metrics"] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];
export const TOKEN_SCOPE_LABELS: Record<TokenScope, string> = {
  decide: "ask for decisions",
  "observed-state": "push observed state and rollout status",
  flows: "push flow records",
  manifests: "read rendered manifests",
  export: "export audit, decisions and violations",
  propose: "propose, approve and release changes",
  metrics: "read Prometheus metrics",
};
export const COMMITTEE_FUNCTIONS = ["security", "networking", "platform", "application"] as const;
export type CommitteeFunction = (typeof COMMITTEE_FUNCTIONS)[number];
export const ENVIRONMENTS = ["production", "staging", "development"] as const;
export const CRITICALITIES = ["critical", "high", "medium", "low"] as const;

// The approval workflow.
/** A change request's life (DESIGN.md, "Lifecycle of a change"); server/workflow/states.ts says which moves are legal. */
export const CHANGE_REQUEST_STATES = [
  "draft",
  "in-review",
  "changes-requested",
  "approved",
  "released",
  "rolled-out",
  "rejected",
  "withdrawn",
] as const;
export type ChangeRequestState = (typeof CHANGE_REQUEST_STATES)[number];
/** States in which a change request still holds its drafted versions (one open request per drafted version). */
export const OPEN_CHANGE_REQUEST_STATES = [
  "draft",
  "in-review",
  "changes-requested",
  "approved",
] as const satisfies readonly ChangeRequestState[];

// The document language (apiVersion policyplane.io/v1).
export const API_VERSION = "policyplane.io/v1";
export const ENTITIES = ["world", "cluster", "kube-dns"] as const;
export const PROTOCOLS = ["TCP", "UDP", "SCTP"] as const;

/** A policy's tier, in decision order: the three admin tiers, then namespace policies, then the baseline. */
export const TIERS = ["global", "regional", "cluster", "namespace", "baseline"] as const;
export type Tier = (typeof TIERS)[number];
/** The tiers whose policies are ordered by priority and may pass a decision down. */
export const ADMIN_TIERS: readonly Tier[] = ["global", "regional", "cluster"];

/** The tier a document is stored and listed under: a Policy's own; a compliance constraint sits with the global tier. */
export function tierOf(document: PolicyplaneDocument): Tier {
  return document.kind === "Policy" ? document.spec.tier : "global";
}
