import "server-only";
// The engine's lint kept in memory: the release's per (released document
// versions, inventory), so the policy list reuses it until a release or the
// inventory changes; an editor draft's per (release, inventory, YAML), so
// changing the compile cluster or target does not lint the same text again.
// Versions are immutable, so "policy@version" names a released document's content.
// The linting itself runs in the engine's worker threads (server/engine-pool).
import { eq } from "drizzle-orm";
import type { Queryable } from "@/db/client";
import { clusterProfiles, clusters } from "@/db/schema";
import { runEngine } from "@/server/engine-pool/pool";
import { loadClusterModels } from "@/server/inventory/cluster-model";
import { sha256Hex } from "@/server/lib/canonical";
import { platformDefaultInForce } from "@/server/platform-default/get";
import type { PlatformDefault } from "@/server/policy/model";
import type { TargetCluster } from "@/server/policy/documents/lower";
import type { Finding } from "@/server/policy/lint/lint";
import type { DraftFinding } from "@/server/drafts/analysis";
import { releasedDocuments, type StoredDocument } from "@/server/drafts/documents";
import { approvedExceptionDocuments, storedException } from "@/server/exceptions/in-force";
import { perProcess } from "@/server/lib/per-process";

const RELEASES_KEPT = 8;
const DRAFTS_KEPT = 32;

const state = perProcess("ReleaseLint", () => ({
  releases: new Map<string, Promise<readonly Finding[]>>(),
  drafts: new Map<string, readonly DraftFinding[]>(),
  computed: 0,
}));

/** Keeps the most recently used `size` entries of `memo`. */
function touch<T>(memo: Map<string, T>, size: number, key: string, value: T): T {
  memo.delete(key);
  memo.set(key, value);
  while (memo.size > size) memo.delete(memo.keys().next().value!);
  return value;
}

/** Every cluster's model and, where known, its capabilities (what the capability lint checks against). */
export async function loadTargets(db: Queryable): Promise<TargetCluster[]> {
  const [models, profiles] = await Promise.all([
    loadClusterModels(db),
    db
      .select({
        name: clusters.name,
        cni: clusterProfiles.cni,
        adminPolicyApi: clusterProfiles.adminPolicyApi,
        istio: clusterProfiles.istio,
      })
      .from(clusterProfiles)
      .innerJoin(clusters, eq(clusters.id, clusterProfiles.clusterId)),
  ]);
  const capabilities = new Map(profiles.map(({ name, ...c }) => [name, c]));
  return models.map((c) => {
    const known = capabilities.get(c.name);
    return { name: c.name, region: c.region, model: c.model, ...(known ? { capabilities: known } : {}) };
  });
}

export interface ReleaseInputs {
  released: StoredDocument[];
  targets: TargetCluster[];
  /** The platform default setting in force (lint and the compile check decide with it). */
  platformDefault: PlatformDefault;
  /** Names the release, the platform default version and the inventory (the models come from ordered queries, so plain JSON is stable). */
  key: string;
}

export async function releaseInputs(db: Queryable): Promise<ReleaseInputs> {
  const [policies, targets, setting, exceptions] = await Promise.all([
    releasedDocuments(db),
    loadTargets(db),
    platformDefaultInForce(db),
    approvedExceptionDocuments(db),
  ]);
  const platformDefault = { enabled: setting.enabled, excludeNamespaces: setting.excludeNamespaces };
  // Approved exceptions count in lint as in every evaluation (the engine applies their windows).
  const released: StoredDocument[] = [...policies, ...exceptions.map(storedException)];
  return {
    released,
    targets,
    platformDefault,
    key: sha256Hex(
      JSON.stringify({ release: released.map((d) => `${d.policyId}@${d.version}`), platformDefault: setting.version, inventory: targets }),
    ),
  };
}

export interface ReleaseLint extends ReleaseInputs {
  /** Shared with other callers: read, do not change. */
  findings: readonly Finding[];
}

export async function releaseLint(db: Queryable): Promise<ReleaseLint> {
  const inputs = await releaseInputs(db);
  let findings = state().releases.get(inputs.key);
  if (!findings) {
    state().computed++;
    // Kept as a promise, so requests arriving while it is computed wait for the same run.
    findings = runEngine("lintRelease", { released: inputs.released, targets: inputs.targets, platformDefault: inputs.platformDefault });
    findings.catch(() => state().releases.delete(inputs.key));
  }
  touch(state().releases, RELEASES_KEPT, inputs.key, findings);
  return { ...inputs, findings: await findings };
}

/** Key of a draft's findings: the release and inventory, and the YAML. */
export const draftLintKey = (inputs: ReleaseInputs, yaml: string) => `${inputs.key}|${sha256Hex(yaml)}`;

/** A draft's findings computed before for this key (shared: read, do not change). */
export function rememberedDraftLint(key: string): readonly DraftFinding[] | null {
  const findings = state().drafts.get(key);
  return findings ? touch(state().drafts, DRAFTS_KEPT, key, findings) : null;
}

export function rememberDraftLint(key: string, findings: readonly DraftFinding[]): void {
  touch(state().drafts, DRAFTS_KEPT, key, findings);
}

/** How many times this process linted a release (every other request was answered from memory). */
export function releaseLintComputations(): number {
  return state().computed;
}
