// How `policyplane agent` runs: in a Node process started with flags and an allocator setting chosen
// for it, which the launcher (bin/policyplane.mjs) starts when it was not started so. V8 reads these
// flags when the process starts (v8.setFlagsFromString later does not resize the heap) and glibc
// reads its tunables when the process starts, so they cannot be applied to the CLI's own process;
// they are for the agent only (the other commands compile policies and replay flows: they want the
// JIT and a large young generation).
//
// What each buys, measured with bench/agent.ts on a 5,000-pod cluster (docs/benchmarks.md):
//   --jitless                 the agent spends < 1 % of a core at rest and most of that in JSON.parse /
//                             JSON.stringify and the http parser, which are not JIT-compiled anyway;
//                             without the JIT, the compilers' code pages of the node binary are never
//                             touched and their zone memory never allocated (~5 MB resident).
//                             Not when the kubeconfig has an `auth-provider` (OIDC): openid-client calls
//                             Node's fetch, whose http parser is WebAssembly, which --jitless turns off
//                             (the process would die on the first token refresh).
//   --max-semi-space-size=1   the young generation stays at 1 MB semi-spaces instead of growing to 8 MB
//                             during the initial list (and keeping them committed).
//   GLIBC_TUNABLES            one malloc arena, and blocks from 64 KB up mapped and unmapped on their
//                             own (no dynamic mmap threshold): the buffers of a list page or a push are
//                             given back to the system when freed, not kept in the heap for good.
// POLICYPLANE_AGENT_TUNED=1 says the process already runs so (set for the agent's process, or set by a
// deployment that starts `node <flags> bin/policyplane.mjs agent` itself, to have no launcher process).

import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";

export const AGENT_NODE_FLAGS = ["--jitless", "--max-semi-space-size=1"];
export const AGENT_GLIBC_TUNABLES = "glibc.malloc.arena_max=1:glibc.malloc.mmap_threshold=65536:glibc.malloc.trim_threshold=131072";
export const TUNED_ENV = "POLICYPLANE_AGENT_TUNED";

/** The environment the agent's process runs with (a GLIBC_TUNABLES already set is kept). */
export function agentEnv(env = process.env) {
  return { ...env, GLIBC_TUNABLES: env.GLIBC_TUNABLES || AGENT_GLIBC_TUNABLES, [TUNED_ENV]: "1" };
}

/** Whether this process should start the agent in a process of its own rather than run it. */
export const needsAgentProcess = (argv = process.argv, env = process.env) => argv[2] === "agent" && env[TUNED_ENV] !== "1";

/** The kubeconfig files the agent will read: --kubeconfig, else $KUBECONFIG's, else ~/.kube/config (none in a pod: in-cluster). */
function kubeconfigFiles(argv, env) {
  const i = argv.findIndex((a) => a === "--kubeconfig" || a.startsWith("--kubeconfig="));
  if (i >= 0) return [argv[i].includes("=") ? argv[i].slice("--kubeconfig=".length) : argv[i + 1]].filter(Boolean);
  if (env.KUBECONFIG) return env.KUBECONFIG.split(delimiter).filter(Boolean);
  return [join(homedir(), ".kube", "config")];
}

/** The agent's node flags: without --jitless when a kubeconfig it reads has an auth provider (it needs fetch, i.e. WebAssembly). */
export function agentNodeFlags(argv = process.argv, env = process.env) {
  const authProvider = kubeconfigFiles(argv, env).some((file) => {
    try {
      return /^\s*auth-provider\s*:/m.test(readFileSync(file, "utf8"));
    } catch {
      return false; // not there (in-cluster), or unreadable: the agent says so itself
    }
  });
  return authProvider ? AGENT_NODE_FLAGS.filter((f) => f !== "--jitless") : AGENT_NODE_FLAGS;
}

const FORWARDED = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"];

/**
 * Runs this same command (`policyplane agent …`) in a Node process with the agent's flags and
 * environment; signals go to it, and this process ends as it ends (its exit code, or the same signal).
 * Answers false when the process cannot be started (the caller then runs the agent itself).
 */
export async function runAgentProcess() {
  // Imported here, not with this file: the agent's own process loads this file too and starts no
  // process (Node's child_process is ~0.6 MB of its resident memory once loaded).
  const { spawn } = await import("node:child_process");
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...agentNodeFlags(), ...process.execArgv, ...process.argv.slice(1)], {
      stdio: "inherit",
      env: agentEnv(),
    });
    const forward = (signal) => child.kill(signal);
    child.once("error", (e) => {
      for (const s of FORWARDED) process.off(s, forward);
      process.stderr.write(`policyplane agent: could not start its own process (${e.message}); running in this one\n`);
      resolve(false);
    });
    child.once("spawn", () => {
      for (const s of FORWARDED) process.on(s, forward);
    });
    child.once("exit", (code, signal) => {
      for (const s of FORWARDED) process.off(s, forward);
      if (signal) process.kill(process.pid, signal);
      else process.exitCode = code ?? 1;
      resolve(true);
    });
  });
}
