// The engine worker's tasks (each a named export piscina runs by name). Inputs
// and results cross threads by structured clone: plain data only, so a task
// that locates positions (a function over the parsed YAML) returns them as numbers.
// Bundled with esbuild into one file by scripts/engine-worker.mjs.
import { analyseDraftText, lintRelease } from "@/server/drafts/analysis";
import { checkPolicyText } from "@/server/drafts/check";

export { lintRelease };

export function analyse(input: Parameters<typeof analyseDraftText>[0]) {
  return analyseDraftText(input);
}

export function check(input: { yaml: string; tenants: readonly string[] }) {
  const { document, parsed, errors, positions } = checkPolicyText(input.yaml, input.tenants);
  return { document, parsed, errors, positions };
}

export { checkReleaseCompile, renderRelease, renderStagedYaml } from "@/server/releases/render";
export { clusterDrift, desiredObjects, parseObserved } from "@/server/clusters/engine";
