// Cluster vocabulary shared by the database schema, the services and the console.

export const CNIS = ["cilium", "calico", "other"] as const;
export type Cni = (typeof CNIS)[number];
export const CNI_LABELS: Record<Cni, string> = { cilium: "Cilium", calico: "Calico", other: "other" };

/** The cluster's policy API, as the compile targets name it (server/policy/compile). */
export const POLICY_APIS = ["anp", "cnp-v1alpha2"] as const;
export type PolicyApi = (typeof POLICY_APIS)[number];
export const POLICY_API_LABELS: Record<PolicyApi, string> = {
  anp: "AdminNetworkPolicy v1alpha1",
  "cnp-v1alpha2": "ClusterNetworkPolicy v1alpha2",
};

/** The admin policy API a cluster serves (its CRDs), as the agent detects it. */
export const ADMIN_POLICY_APIS = ["v1alpha1", "v1alpha2", "none"] as const;
export type AdminPolicyApi = (typeof ADMIN_POLICY_APIS)[number];
export const ADMIN_POLICY_API_LABELS: Record<AdminPolicyApi, string> = {
  v1alpha1: "AdminNetworkPolicy v1alpha1 installed",
  v1alpha2: "ClusterNetworkPolicy v1alpha2 installed",
  none: "no admin policy CRDs",
};

export const DRIFT_TYPES = ["missing", "unmanaged", "modified"] as const;
export type DriftType = (typeof DRIFT_TYPES)[number];
export const DRIFT_LABELS: Record<DriftType, string> = {
  missing: "missing (desired, not in the cluster)",
  unmanaged: "unmanaged (in the cluster, not desired)",
  modified: "modified (differs from desired)",
};
