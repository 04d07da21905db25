import { z } from "zod";
import { ADMIN_POLICY_APIS, CNIS, POLICY_APIS } from "@/lib/clusters";
import { ENVIRONMENTS } from "@/lib/vocabulary";

/** A cluster's name: a DNS label, as Kubernetes contexts and the GitOps folders use it. */
export const clusterName = z
  .string()
  .trim()
  .min(1, "Give the cluster a name")
  .max(63, "At most 63 characters")
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "Lower-case letters, digits and '-', starting and ending with a letter or digit");

const labelKey = z
  .string()
  .min(1)
  .max(253)
  .regex(/^([a-z0-9.-]+\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/, "A label key such as wave or example.com/tier");
const labelValue = z
  .string()
  .max(63)
  .regex(/^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/, "A label value: letters, digits, '-', '_' and '.'");

export const clusterFields = z.object({
  region: z.string().trim().min(1, "Say which region").max(64, "At most 64 characters"),
  environment: z.enum(ENVIRONMENTS),
  labels: z.record(labelKey, labelValue).refine((l) => Object.keys(l).length <= 32, "At most 32 labels"),
  cni: z.enum(CNIS).nullable(),
  policyApi: z.enum(POLICY_APIS),
  istio: z.boolean(),
});

export const registerClusterInput = clusterFields.extend({ name: clusterName });
export type RegisterClusterInput = z.infer<typeof registerClusterInput>;
export const editClusterInput = clusterFields.extend({ name: clusterName });
export type EditClusterInput = z.infer<typeof editClusterInput>;
export const clusterNameInput = z.object({ name: clusterName });
export type ClusterNameInput = z.infer<typeof clusterNameInput>;

/** Observed state as `kubectl get … -A -o yaml` prints it (a List, or multi-document YAML or JSON). */
export const uploadObservedInput = z.object({ name: clusterName, yaml: z.string().min(1, "Paste or choose the YAML") });
export type UploadObservedInput = z.infer<typeof uploadObservedInput>;

export const driftTrendInput = clusterNameInput.extend({ days: z.number().int().min(1).max(365).default(30) });

/** What a cluster's agent detected: its CNI, the admin policy API its CRDs serve, and whether Istio runs. */
export const capabilitiesBody = z.strictObject({
  cni: z.enum(CNIS).describe("cilium, calico or other (from kube-system's daemonsets and the CRDs)"),
  adminPolicyApi: z
    .enum(ADMIN_POLICY_APIS)
    .describe("v1alpha1: AdminNetworkPolicy CRDs; v1alpha2: ClusterNetworkPolicy CRDs; none: neither is installed"),
  istio: z.boolean().describe("Istio's CRDs or istiod are present"),
});
export const reportCapabilitiesInput = capabilitiesBody.extend({ name: clusterName });
export type ReportCapabilitiesInput = z.infer<typeof reportCapabilitiesInput>;

/** Adopt one drift (an unmanaged or modified object, as the cluster runs it) into a draft change request. */
export const adoptDriftInput = z.object({ name: clusterName, driftId: z.uuid("Name the drift by its id") });
export type AdoptDriftInput = z.infer<typeof adoptDriftInput>;
