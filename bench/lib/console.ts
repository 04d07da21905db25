// The console as `npm start` serves it (production build, embedded database seeded with the demo
// organisation), for benchmarks that measure it the way a user reaches it: over HTTP, signed in.
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
export const DEMO_ADMIN = { email: "alex.admin@acme.example", password: "policyplane-demo" };

export interface RunningConsole {
  url: string;
  stop(): void;
}

/**
 * Starts `npm start` (it builds when the sources changed) on `port` over a fresh data folder; resolves once it answers.
 * BENCH_CONSOLE_NODE_ARGS adds Node options to the server's process (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`,
 * which NODE_OPTIONS does not take).
 */
export async function startConsole(port: number, dataDir: string): Promise<RunningConsole> {
  const url = `http://127.0.0.1:${port}`;
  const nodeArgs = process.env.BENCH_CONSOLE_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? [];
  const server: ChildProcess = spawn(process.execPath, [...nodeArgs, join(root, "scripts", "start.mjs")], {
    cwd: root,
    env: { ...process.env, PORT: String(port), PGLITE_DIR: join(dataDir, "pglite"), POLICYPLANE_DATA_DIR: dataDir },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const stop = () => void server.kill("SIGTERM");
  const deadline = Date.now() + 15 * 60_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`the console exited (${server.exitCode}) before answering`);
    try {
      if ((await fetch(`${url}/api/v1/health`)).ok) return { url, stop };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  stop();
  throw new Error("the console did not answer within 15 minutes");
}

/** A signed-in session of the demo admin: the headers a browser would send (cookie, and the console's own Origin). */
export async function signedInHeaders(url: string): Promise<Record<string, string>> {
  const response = await fetch(`${url}/api/auth/sign-in/email`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: url },
    body: JSON.stringify(DEMO_ADMIN),
  });
  if (!response.ok) throw new Error(`sign-in: ${response.status} ${await response.text()}`);
  const cookie = response.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  return { cookie, origin: url };
}

/** A tRPC call with those headers (a query without input is a GET; anything else a POST mutation). */
export async function trpcCall<T>(
  url: string,
  headers: Record<string, string>,
  procedure: string,
  input?: unknown,
  mutation = false,
): Promise<T> {
  const response = mutation
    ? await fetch(`${url}/api/trpc/${procedure}`, {
        method: "POST",
        headers: { ...headers, "content-type": "application/json" },
        body: JSON.stringify({ json: input }),
      })
    : await fetch(
        `${url}/api/trpc/${procedure}${input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify({ json: input }))}`}`,
        {
          headers,
        },
      );
  if (!response.ok) throw new Error(`${procedure}: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { result: { data: { json: T } } }).result.data.json;
}
