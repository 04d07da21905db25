import "server-only";
// Live analysis of the editor's YAML (nothing is written): the reader's
// errors with line and column, the engine's lint of the set in force with this
// draft in place (kept per text, release and inventory), the workloads its
// subject selects, and what it compiles to. The database is read here; the
// engine's work runs in a worker thread (./analysis.ts).
import { redactPolicyNames, visibilityOf } from "@/server/auth/visibility";
import type { ServiceContext } from "@/server/context";
import { runEngine } from "@/server/engine-pool/pool";
import { InvalidInput, NotFound } from "@/server/errors";
import { draftLintKey, releaseInputs, rememberDraftLint, rememberedDraftLint } from "@/server/changes/release-lint";
import type { AnalyseDraftInput } from "./schemas";
import { tenantIdsByName } from "./validate";

export async function analyseDraft({ ctx, input }: { ctx: ServiceContext; input: AnalyseDraftInput }) {
  const [tenantIds, release] = await Promise.all([tenantIdsByName(ctx.db), releaseInputs(ctx.db)]);
  const { targets } = release;
  if (input.cluster && !targets.some((t) => t.name === input.cluster)) throw new NotFound(`No cluster named "${input.cluster}".`);
  const key = draftLintKey(release, input.yaml);
  const { parsed, ...analysis } = await runEngine("analyse", {
    yaml: input.yaml,
    tenants: [...tenantIds.keys()],
    released: release.released,
    targets,
    platformDefault: release.platformDefault,
    cluster: input.cluster,
    target: input.target,
    findings: rememberedDraftLint(key),
    releaseKey: release.key,
  });
  // Text that is not YAML at all (or is refused by the reader's bounds) is a bad request, with where it went wrong.
  const first = analysis.errors[0];
  if (!parsed && first)
    throw new InvalidInput(first.message, "yaml", first.line > 0 ? { line: first.line, column: first.column } : undefined);
  if (analysis.errors.length === 0) rememberDraftLint(key, analysis.findings);
  // Lint and compile see the whole release; what they say of other tenants is not this person's to read.
  const visibility = await visibilityOf(ctx.db, ctx.actor);
  const matches = analysis.matches.filter((m) => !visibility.hiddenNamespaces.has(m.namespace));
  return redactPolicyNames({ ...analysis, matches, clusters: targets.map((t) => ({ name: t.name, region: t.region ?? "" })) }, visibility);
}
