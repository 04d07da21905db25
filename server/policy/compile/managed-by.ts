/**
 * The label on every object Policyplane renders: what lets the agent (and the admission webhook)
 * tell its objects from anyone else's. A module of its own so the agent can read it without
 * loading the compiler.
 */
export const MANAGED_BY = { "app.kubernetes.io/managed-by": "policyplane" } as const;
