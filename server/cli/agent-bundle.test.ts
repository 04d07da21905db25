// The agent as the CLI bundle runs it: KubeConfig's optional imports (auth providers, proxy agents,
// node-fetch, child_process) are stand-ins in the bundle (bin/cli-bundle.mjs) that load the real module
// when a kubeconfig needs it. A kubeconfig that needs none loads none of them; one with an exec plugin
// or an OIDC provider still authenticates through it.
import { spawn } from "node:child_process";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { connect } from "node:net";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeKubeApi, type FakeKubeApi } from "@/server/testing/kube-api";
// @ts-expect-error: a plain ES module of bin/, without type declarations
import { buildBundle, freshBundle } from "../../bin/cli-bundle.mjs";

const bin = fileURLToPath(new URL("../../bin/policyplane.mjs", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "pp-agent-bundle-"));
/** Loaded with --import (the launcher's and the agent's process): on SIGTERM, the agent says which Node modules it loaded. */
const probe = join(dir, "probe.mjs");
writeFileSync(
  probe,
  `if (process.env.POLICYPLANE_AGENT_TUNED === "1") process.on("SIGTERM", () => {
  process.stderr.write("pp-modules " + JSON.stringify(process.moduleLoadList) + "\\n", () => process.exit(0));
});\n`,
);
/** A JWT for the OIDC provider, valid for a long time (so it is sent as it is, without a refresh). */
const idToken = [{ alg: "none" }, { iss: "https://issuer.example", exp: 4_102_444_800 }, "sig"]
  .map((part) => Buffer.from(typeof part === "string" ? part : JSON.stringify(part)).toString("base64url"))
  .join(".");

let kube: FakeKubeApi;
let policyplane: Server;
let server: string;
const pushes: string[] = [];

beforeAll(async () => {
  // Built first, as an install has it: a stale bundle is rebuilt by the agent's own process (esbuild
  // then runs in it, with child_process).
  if (!(freshBundle as () => string | null)()) await (buildBundle as () => Promise<string>)();
  kube = await startFakeKubeApi({
    crds: [],
    objects: [{ apiVersion: "v1", kind: "Namespace", metadata: { name: "team-a" } }],
    token: idToken,
  });
  // Policyplane's side, as far as the agent's pushes need it.
  policyplane = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      pushes.push(`${req.method} ${req.url}`);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ kept: 1, rejectedCount: 0, release: null, drift: { missing: 0, unmanaged: 0, modified: 0 } }));
    });
  });
  await new Promise<void>((r) => policyplane.listen(0, "127.0.0.1", r));
  server = `http://127.0.0.1:${(policyplane.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await kube.close();
  await new Promise((r) => policyplane.close(r));
});

function kubeconfig(name: string, user: string, cluster = ""): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: ${kube.url}\n    insecure-skip-tls-verify: true\n${cluster}` +
      `users:\n- name: agent\n  user:\n${user}contexts:\n- name: fake\n  context: {cluster: fake, user: agent}\ncurrent-context: fake\n`,
  );
  return file;
}

/** Runs the agent (its own process, through the launcher) until its first push, then stops it; answers the modules it loaded. */
async function runAgent(file: string): Promise<{ pushed: boolean; modules: string[]; stderr: string }> {
  const child = spawn(
    process.execPath,
    ["--import", probe, bin, "agent", "--server", server, "--token", "t", "--cluster", "c", "--kubeconfig", file, "--interval", "60"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
  child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
  const end = Date.now() + 60_000;
  // The first push comes after the initial list; the watches are open by then or soon after.
  while (!stdout.includes('"observed"') && Date.now() < end && child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
  const pushed = stdout.includes('"observed"');
  if (pushed) while (kube.openWatches() === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  child.kill("SIGTERM");
  await new Promise((r) => child.once("close", r));
  const line = /pp-modules (.*)/.exec(stderr);
  const modules = line ? (JSON.parse(line[1]!) as string[]) : [];
  return { pushed, modules, stderr };
}

const loaded = (modules: string[], name: string) => modules.includes(`NativeModule ${name}`);

describe("the agent's bundle", () => {
  it("loads no proxy, auth-provider, fetch or child-process code for a kubeconfig with a token, and watches with it", async () => {
    const r = await runAgent(kubeconfig("token", `    token: ${idToken}\n`));
    expect(r.pushed, r.stderr).toBe(true);
    expect(kube.watches.length).toBeGreaterThan(0);
    expect(r.modules.length).toBeGreaterThan(50);
    for (const m of ["child_process", "zlib", "vm", "readline"]) expect(loaded(r.modules, m), m).toBe(false);
    expect(pushes.some((p) => p.startsWith("POST /api/v1/clusters/c/observed"))).toBe(true);
  }, 120_000);

  it("still authenticates with an exec plugin (child_process loaded when the credential is asked for)", async () => {
    const plugin = join(dir, "credential.mjs");
    writeFileSync(
      plugin,
      `process.stdout.write(JSON.stringify({ apiVersion: "client.authentication.k8s.io/v1beta1", kind: "ExecCredential", status: { token: ${JSON.stringify(idToken)} } }));\n`,
    );
    const exec = `    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: ${JSON.stringify(process.execPath)}\n      args: [${JSON.stringify(plugin)}]\n      interactiveMode: Never\n`;
    const r = await runAgent(kubeconfig("exec", exec));
    expect(r.pushed, r.stderr).toBe(true);
    expect(loaded(r.modules, "child_process")).toBe(true);
  }, 120_000);

  it("still authenticates with an OIDC auth provider (its code loaded on the first request)", async () => {
    const oidc = `    auth-provider:\n      name: oidc\n      config:\n        client-id: agent\n        idp-issuer-url: https://issuer.example\n        id-token: ${idToken}\n`;
    const r = await runAgent(kubeconfig("oidc", oidc));
    expect(r.pushed, r.stderr).toBe(true);
  }, 120_000);

  it("still refreshes an expired GCP auth-provider token with its command (child_process's execSync, through the stand-in)", async () => {
    const command = join(dir, "gcloud.mjs");
    writeFileSync(
      command,
      `process.stdout.write(JSON.stringify({ token: ${JSON.stringify(idToken)}, expiry: "2099-01-01T00:00:00Z" }));\n`,
    );
    const gcp =
      `    auth-provider:\n      name: gcp\n      config:\n        access-token: expired\n        expiry: "2000-01-01T00:00:00Z"\n` +
      `        cmd-path: ${JSON.stringify(process.execPath)}\n        cmd-args: ${JSON.stringify(command)}\n        token-key: "{.token}"\n        expiry-key: "{.expiry}"\n`;
    const r = await runAgent(kubeconfig("gcp", gcp));
    expect(r.pushed, r.stderr).toBe(true);
  }, 120_000);

  it("still goes through an HTTP proxy (`proxy-url`: the proxy agent evaluated on the first connection)", async () => {
    let proxied = 0;
    // A tunnelling proxy, as hpagent's agents use one (CONNECT host:port, then the bytes both ways).
    const proxy = createServer((_req, res) => res.writeHead(405).end());
    proxy.on("connect", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      proxied++;
      const [host, port] = (req.url ?? "").split(":");
      const upstream = connect(Number(port), host!, () => {
        socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
        upstream.write(head);
        upstream.pipe(socket).on("error", () => upstream.destroy());
        socket.pipe(upstream);
      });
      upstream.on("error", () => socket.destroy());
      socket.on("error", () => upstream.destroy());
    });
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
    try {
      const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
      const r = await runAgent(kubeconfig("proxy", `    token: ${idToken}\n`, `    proxy-url: ${proxyUrl}\n`));
      expect(r.pushed, r.stderr).toBe(true);
      expect(proxied).toBeGreaterThan(0);
    } finally {
      proxy.closeAllConnections();
      await new Promise((r) => proxy.close(r));
    }
  }, 120_000);
});
