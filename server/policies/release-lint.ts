// The engine's lint of the release against the inventory, kept in memory per
// (released document versions, inventory), so the policy list and the editor
// reuse it until a release or the inventory changes. Versions are immutable,
// so "policy@version" names a released document's content.
import type { Queryable } from "@/db/client";
import { contentHash } from "@/server/lib/canonical";
import type { TargetCluster } from "@/server/policy/documents/lower";
import { lint, type Finding } from "@/server/policy/lint/lint";
import { releasedDocuments, type StoredDocument } from "./documents";
import { asLocated, loadTargets } from "./engine";

const CACHE_SIZE = 8;

// On globalThis: the route handlers and server components may be separate bundles.
const globalForLint = globalThis as unknown as { policyplaneReleaseLint?: { entries: Map<string, readonly Finding[]>; computed: number } };
const state = (globalForLint.policyplaneReleaseLint ??= { entries: new Map(), computed: 0 });

export interface ReleaseLint {
  released: StoredDocument[];
  targets: TargetCluster[];
  /** Shared with other callers: read, do not change. */
  findings: readonly Finding[];
}

export async function releaseLint(db: Queryable): Promise<ReleaseLint> {
  const [released, targets] = await Promise.all([releasedDocuments(db), loadTargets(db)]);
  const key = contentHash({ release: released.map((d) => `${d.policyId}@${d.version}`), inventory: targets });
  let findings = state.entries.get(key);
  if (findings) {
    state.entries.delete(key);
  } else {
    findings = lint({ documents: released.map(asLocated), clusters: targets });
    state.computed++;
  }
  state.entries.set(key, findings);
  while (state.entries.size > CACHE_SIZE) state.entries.delete(state.entries.keys().next().value!);
  return { released, targets, findings };
}

/** How many times this process linted a release (every other request was answered from memory). */
export function releaseLintComputations(): number {
  return state.computed;
}
