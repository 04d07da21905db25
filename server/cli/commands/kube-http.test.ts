// kubeWatch reads a watch's stream line by line. What a line holds comes from the API server or
// a proxy in between: one that is JSON but no event, or an event the agent's handler cannot take,
// ends the watch with an error (the agent then watches again) instead of throwing inside the
// response's listener, which would end the process.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { KubeConfig, kubeWatch } from "./kube-http";

let server: Server | undefined;
afterEach(async () => {
  await new Promise((r) => (server ? server.close(r) : r(null)));
  server = undefined;
});

/** A Kubernetes API whose watches answer these lines (and keep the stream open). */
async function apiSending(lines: string[]): Promise<KubeConfig> {
  server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    for (const line of lines) res.write(`${line}\n`);
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  const kc = new KubeConfig();
  kc.loadFromClusterAndUser(
    { name: "fake", server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true },
    { name: "agent" },
  );
  return kc;
}

function watchUntilDone(kc: KubeConfig, onEvent: (type: string, object: unknown) => void, idleMs?: number): Promise<Error | null> {
  return new Promise((resolve, reject) => {
    kubeWatch(kc, "/api/v1/pods", {}, onEvent, resolve, idleMs).catch(reject);
  });
}

const added = (name: string) => JSON.stringify({ type: "ADDED", object: { metadata: { name } } });

describe("kubeWatch", () => {
  it("hands on events and skips a line that is not JSON (a proxy's noise)", async () => {
    const seen: string[] = [];
    const kc = await apiSending([added("a"), "<html>", added("b"), "null"]);
    const done = await watchUntilDone(kc, (type, object) =>
      seen.push(`${type} ${(object as { metadata: { name: string } }).metadata.name}`),
    );
    expect(seen).toEqual(["ADDED a", "ADDED b"]);
    expect(done?.message).toMatch(/a line that is not an event: null/);
  });

  it.each([["null"], ['{"type":"ADDED"}'], ['{"object":{}}'], ['{"type":"ADDED","object":"pod"}']])(
    "ends the watch with an error on %s, which is JSON but no event",
    async (line) => {
      const kc = await apiSending([line, added("never")]);
      const seen: string[] = [];
      const done = await watchUntilDone(kc, (type) => seen.push(type));
      expect(done?.message).toContain("not an event");
      expect(seen).toEqual([]);
    },
  );

  it("ends the watch with the error its handler throws, and hands on nothing after it", async () => {
    const kc = await apiSending([added("a"), added("b")]);
    const seen: string[] = [];
    const done = await watchUntilDone(kc, (_type, object) => {
      const name = (object as { metadata: { name: string } }).metadata.name;
      seen.push(name);
      throw new Error(`cannot take ${name}`);
    });
    expect(done?.message).toBe("cannot take a");
    expect(seen).toEqual(["a"]);
  });

  it("ends a watch on which nothing arrives for its idle time (a stalled stream), after handing on what came", async () => {
    const kc = await apiSending([added("a")]);
    const seen: string[] = [];
    const done = await watchUntilDone(kc, (type) => seen.push(type), 300);
    expect(done?.message).toBe("the watch sent nothing for 0.3 s");
    expect(seen).toEqual(["ADDED"]);
  });

  it("ends a watch whose line runs past 8 MiB without its end, instead of keeping it all", async () => {
    const kc = await apiSending([added("a"), `{"type":"ADDED","object":{"x":"${"y".repeat(9 << 20)}`]);
    const seen: string[] = [];
    const done = await watchUntilDone(kc, (type) => seen.push(type));
    expect(done?.message).toBe("the watch sent a line of more than 8 MiB without its end");
    expect(seen).toEqual(["ADDED"]);
  });
});
