#!/usr/bin/env node
// Entry point of the `policyplane` CLI, from any directory. Runs the prebuilt
// bundle of server/cli (bin/cli-bundle.mjs), rebuilding it first when a source
// changed since it was built; if it cannot be built (no esbuild, a read-only
// install), runs the TypeScript sources through tsx instead. `policyplane agent`
// runs in a process of its own started with the agent's Node flags and allocator
// settings (bin/agent-process.mjs); this one then only waits for it.
import { needsAgentProcess, runAgentProcess } from "./agent-process.mjs";

if (!(needsAgentProcess() && (await runAgentProcess()))) {
  const { pathToFileURL } = await import("node:url");
  const { join } = await import("node:path");
  const { buildBundle, freshBundle, root } = await import("./cli-bundle.mjs");

  const SERVER_ONLY_HOOK = `export function resolve(specifier, context, next) {
  return next(specifier, specifier === "server-only" ? { ...context, conditions: [...context.conditions, "react-server"] } : context);
}`;

  let entry = freshBundle();
  if (!entry) entry = await buildBundle().catch(() => null);
  let main;
  if (entry) ({ main } = await import(pathToFileURL(entry).href));
  else {
    // Services start with `import "server-only"`; the CLI is their server side, so that one import is
    // resolved under React's server condition (the package's empty module), as the bundle resolves it.
    const { register: registerHooks } = await import("node:module");
    registerHooks(`data:text/javascript,${encodeURIComponent(SERVER_ONLY_HOOK)}`);
    const { register } = await import("tsx/esm/api");
    register({ tsconfig: join(root, "tsconfig.json") });
    ({ main } = await import(pathToFileURL(join(root, "server", "cli", "main.ts")).href));
  }
  process.exitCode = await main(process.argv.slice(2));
}
