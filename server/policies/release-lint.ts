// The engine's lint kept in memory: the release's per (released document
// versions, inventory), so the policy list reuses it until a release or the
// inventory changes; an editor draft's per (release, inventory, YAML), so
// changing the compile cluster or target does not lint the same text again.
// Versions are immutable, so "policy@version" names a released document's content.
import type { Queryable } from "@/db/client";
import { sha256Hex } from "@/server/lib/canonical";
import type { LocatedDocument } from "@/server/policy/documents/read";
import type { TargetCluster } from "@/server/policy/documents/lower";
import { lint, type Finding } from "@/server/policy/lint/lint";
import { releasedDocuments, type StoredDocument } from "./documents";
import { asLocated, loadTargets } from "./engine";

const RELEASES_KEPT = 8;
const DRAFTS_KEPT = 32;

type Memo = Map<string, readonly Finding[]>;
// On globalThis: the route handlers and server components may be separate bundles.
const globalForLint = globalThis as unknown as { policyplaneReleaseLint?: { releases: Memo; drafts: Memo; computed: number } };
const state = (globalForLint.policyplaneReleaseLint ??= { releases: new Map(), drafts: new Map(), computed: 0 });

/** The most recently used `size` results, by key. */
function remembered(memo: Memo, size: number, key: string, compute: () => readonly Finding[]): readonly Finding[] {
  let findings = memo.get(key);
  if (findings) memo.delete(key);
  else findings = compute();
  memo.set(key, findings);
  while (memo.size > size) memo.delete(memo.keys().next().value!);
  return findings;
}

export interface ReleaseInputs {
  released: StoredDocument[];
  targets: TargetCluster[];
  /** Names the release and the inventory (the models come from ordered queries, so plain JSON is stable). */
  key: string;
}

export async function releaseInputs(db: Queryable): Promise<ReleaseInputs> {
  const [released, targets] = await Promise.all([releasedDocuments(db), loadTargets(db)]);
  return { released, targets, key: sha256Hex(JSON.stringify({ release: released.map((d) => `${d.policyId}@${d.version}`), inventory: targets })) };
}

export interface ReleaseLint extends ReleaseInputs {
  /** Shared with other callers: read, do not change. */
  findings: readonly Finding[];
}

export async function releaseLint(db: Queryable): Promise<ReleaseLint> {
  const inputs = await releaseInputs(db);
  const findings = remembered(state.releases, RELEASES_KEPT, inputs.key, () => {
    state.computed++;
    return lint({ documents: inputs.released.map(asLocated), clusters: inputs.targets });
  });
  return { ...inputs, findings };
}

/** The lint of `set` (the release with the editor's draft, read from `yaml`, in place). Shared: read, do not change. */
export function draftLint(inputs: ReleaseInputs, set: readonly LocatedDocument[], yaml: string): readonly Finding[] {
  return remembered(state.drafts, DRAFTS_KEPT, `${inputs.key}|${sha256Hex(yaml)}`, () => lint({ documents: set, clusters: inputs.targets }));
}

/** How many times this process linted a release (every other request was answered from memory). */
export function releaseLintComputations(): number {
  return state.computed;
}
