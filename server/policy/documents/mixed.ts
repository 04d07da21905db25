/**
 * Policyplane documents beside plain Kubernetes objects (`simulate --manifests`):
 * the Kubernetes objects are the inventory (and any Kubernetes policies), the
 * documents are lowered against that inventory exactly as the console lowers
 * them, and the evaluator then runs the platform's whole decision order.
 */
import type { PolicyInputError } from "../errors";
import type { PolicySet } from "../model";
import { readManifestSources, type ManifestSource, type ReadResult } from "../read/manifests";
import { lowerDocuments, type TargetCluster } from "./lower";
import { readDocumentSources, type DocumentReadResult } from "./read";
import { API_VERSION } from "./schema";

export interface MixedReadResult {
  manifests: ReadResult;
  /** Null when no source holds a Policyplane document (the plain Kubernetes path, read once). */
  documents: DocumentReadResult | null;
}

/** Read sources that may hold Policyplane documents and Kubernetes objects side by side. */
export function readMixedSources(sources: readonly ManifestSource[]): MixedReadResult {
  // A cheap text test keeps the plain path to one parse of each source.
  const withDocuments = sources.filter((s) => s.text.includes(API_VERSION));
  if (withDocuments.length === 0) return { manifests: readManifestSources(sources), documents: null };
  return {
    manifests: readManifestSources(sources, { skipApiVersions: [API_VERSION] }),
    documents: readDocumentSources(withDocuments, { skipForeign: true }),
  };
}

/**
 * The policies the platform decides with: the documents lowered for the cluster of the manifests,
 * then the Kubernetes policies read beside them.
 */
export function platformPolicies(
  read: MixedReadResult,
  cluster: Omit<TargetCluster, "model"> = { name: "default" },
): { policies: PolicySet; warnings: PolicyInputError[] } {
  const { manifests, documents } = read;
  if (!documents) return { policies: manifests.policies, warnings: manifests.warnings };
  const lowered = lowerDocuments(documents.documents, { ...cluster, model: manifests.cluster });
  return {
    policies: { policies: [...lowered.policies.policies, ...manifests.policies.policies] },
    warnings: [...manifests.warnings, ...lowered.warnings],
  };
}
