// `policyplane agent` runs in a Node process of its own started with the agent's flags and allocator
// settings (bin/agent-process.mjs): the launcher waits for it, passes signals on and ends as it ends.
// A probe loaded with --import (which the agent's process inherits) says how each process was started.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { AGENT_GLIBC_TUNABLES, AGENT_NODE_FLAGS } from "../../bin/agent-process.mjs";

const bin = fileURLToPath(new URL("../../bin/policyplane.mjs", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "pp-agent-process-"));
const probe = join(dir, "probe.mjs");
writeFileSync(
  probe,
  `process.stderr.write("pp-process " + JSON.stringify({ pid: process.pid, ppid: process.ppid, execArgv: process.execArgv, tuned: process.env.POLICYPLANE_AGENT_TUNED ?? null, glibc: process.env.GLIBC_TUNABLES ?? null }) + "\\n");\n`,
);
type Started = { pid: number; ppid: number; execArgv: string[]; tuned: string | null; glibc: string | null };
const started = (stderr: string): Started[] => [...stderr.matchAll(/pp-process (.*)/g)].map((m) => JSON.parse(m[1]!) as Started);
const plainKubeconfig = join(dir, "plain.yaml");
writeFileSync(
  plainKubeconfig,
  "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: 'http://127.0.0.1:9', insecure-skip-tls-verify: true}\n" +
    "users:\n- name: u\n  user: {token: t}\ncontexts:\n- name: c\n  context: {cluster: c, user: u}\ncurrent-context: c\n",
);
const env = (extra: Record<string, string> = {}) => {
  const { POLICYPLANE_AGENT_TUNED: _t, GLIBC_TUNABLES: _g, KUBECONFIG: _k, ...rest } = process.env;
  return { ...rest, KUBECONFIG: plainKubeconfig, ...extra };
};

describe("the agent's own process", () => {
  it("runs `agent` in a process started with the agent's flags and environment, and ends with its exit code", () => {
    const r = spawnSync(process.execPath, ["--import", probe, bin, "agent", "--help"], { encoding: "utf8", env: env(), timeout: 60_000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/--server/);
    const [launcher, agent, ...more] = started(r.stderr);
    expect(more).toEqual([]);
    expect(launcher!.tuned).toBeNull();
    expect(launcher!.execArgv).not.toContain("--jitless");
    expect(agent!.ppid).toBe(launcher!.pid);
    expect(agent!.execArgv).toEqual([...(AGENT_NODE_FLAGS as string[]), "--import", probe]);
    expect(agent).toMatchObject({ tuned: "1", glibc: AGENT_GLIBC_TUNABLES });

    const bad = spawnSync(process.execPath, [bin, "agent", "--interval", "soon"], { encoding: "utf8", env: env(), timeout: 60_000 });
    expect(bad.status).toBe(2);
    // (The first run after a source changed rebuilds the CLI bundle: seconds on a loaded machine.)
  }, 120_000);

  it("keeps the JIT for a kubeconfig with an auth provider (OIDC calls fetch, whose parser is WebAssembly: none under --jitless)", () => {
    const oidc = join(dir, "oidc.yaml");
    writeFileSync(
      oidc,
      "apiVersion: v1\nkind: Config\nusers:\n- name: u\n  user:\n    auth-provider:\n      name: oidc\n      config: {idp-issuer-url: 'https://issuer.example'}\n",
    );
    for (const args of [["--kubeconfig", oidc], [`--kubeconfig=${oidc}`]]) {
      const r = spawnSync(process.execPath, ["--import", probe, bin, "agent", ...args, "--help"], {
        encoding: "utf8",
        env: env(),
        timeout: 60_000,
      });
      expect(r.status).toBe(0);
      expect(started(r.stderr)[1]!.execArgv).toEqual(["--max-semi-space-size=1", "--import", probe]);
    }
    const fromEnv = spawnSync(process.execPath, ["--import", probe, bin, "agent", "--help"], {
      encoding: "utf8",
      env: env({ KUBECONFIG: `${plainKubeconfig}:${oidc}` }),
      timeout: 60_000,
    });
    expect(started(fromEnv.stderr)[1]!.execArgv).not.toContain("--jitless");
  }, 120_000);

  it("runs in the CLI's process when started so already (POLICYPLANE_AGENT_TUNED=1), and other commands always do", () => {
    const tuned = spawnSync(process.execPath, ["--import", probe, bin, "agent", "--help"], {
      encoding: "utf8",
      env: env({ POLICYPLANE_AGENT_TUNED: "1" }),
      timeout: 60_000,
    });
    expect(tuned.status).toBe(0);
    expect(started(tuned.stderr)).toHaveLength(1);
    const other = spawnSync(process.execPath, ["--import", probe, bin, "--help"], { encoding: "utf8", env: env(), timeout: 60_000 });
    expect(other.status).toBe(0);
    expect(started(other.stderr)).toHaveLength(1);
  }, 120_000);

  it("passes SIGTERM on to the agent's process and ends by it", async () => {
    // A cluster and a server that are not there: the agent retries until stopped.
    const kubeconfig = plainKubeconfig;
    const child = spawn(
      process.execPath,
      ["--import", probe, bin, "agent", "--server", "http://127.0.0.1:9", "--token", "t", "--cluster", "c", "--kubeconfig", kubeconfig],
      { env: env(), stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    const deadline = Date.now() + 30_000;
    while (!/failed/.test(stderr) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const agent = started(stderr).find((p) => p.tuned === "1");
    expect(agent?.ppid).toBe(child.pid);
    const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once("exit", (code, signal) => resolve({ code, signal })),
    );
    child.kill("SIGTERM");
    expect(await ended).toEqual({ code: null, signal: "SIGTERM" });
    expect(() => process.kill(agent!.pid, 0)).toThrow();
  }, 60_000);
});
