// `policyplane serve`: the same REST app on a bare node:http server, over real HTTP.
import { mkdtempSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { request } from "node:https";
import { tmpdir } from "node:os";
import path from "node:path";
import type { PeerCertificate } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabaseKind } from "@/db/testing";
import { MAX_REQUEST_BYTES } from "@/lib/http-limits";
import { callerFor } from "@/server/testing/actors";
import { useSeededDatabase } from "@/server/testing/database";
import { issueCa, issueServing } from "@/server/admission/certificates";
import { UsageError } from "../usage";
import { serveApi } from "./serve";

describe(`policyplane serve on ${testDatabaseKind()}`, () => {
  const database = useSeededDatabase();
  let server: Server;
  let url = "";
  let token = "";

  beforeAll(async () => {
    ({ server, url } = await serveApi(async () => database().db, 0, "127.0.0.1"));
    const admin = await callerFor(database().db, "alex.admin@acme.example");
    token = (await admin.settings.createToken({ name: "serve", role: "viewer", tenantId: null, scopes: ["decide"], expiresInDays: 1 }))
      .token;
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
  });

  const post = (path: string, body: string, auth = true) =>
    fetch(`${url}/api/v1${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(auth ? { authorization: `Bearer ${token}` } : {}) },
      body,
    });

  it("answers health, the OpenAPI document and a decision over HTTP", async () => {
    const health = await fetch(`${url}/api/v1/health`);
    expect(health.status).toBe(200);
    expect(health.headers.get("x-request-id")).toBeTruthy();
    expect(await health.json()).toEqual({ status: "ok" });
    expect(((await (await fetch(`${url}/api/v1/openapi.json`)).json()) as { openapi: string }).openapi).toBe("3.1.0");
    const flow = { cluster: "prod-eu-1", source: { namespace: "payments", pod: "payments-api" }, destination: { ip: "8.8.8.8" }, port: 53 };
    const decided = await post("/decide", JSON.stringify(flow));
    expect(decided.status).toBe(200);
    expect(await decided.json()).toMatchObject({ decision: expect.stringMatching(/^(allow|deny)$/), release: 0 });
    expect((await post("/decide", JSON.stringify(flow), false)).status).toBe(401);
  });

  it("refuses malformed JSON with 400 and an oversized body with 413, and keeps serving", async () => {
    const malformed = await post("/decide", '{"cluster": ');
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: "InvalidInput", field: "body" });
    const huge = await post("/decide", JSON.stringify({ pad: "x".repeat(MAX_REQUEST_BYTES + 10) }));
    expect(huge.status).toBe(413);
    expect((await fetch(`${url}/api/v1/health`)).status).toBe(200);
    // An unknown route asks for a token first, as the app does under Next.js.
    expect((await fetch(`${url}/api/v1/nothing-here`)).status).toBe(401);
  });

  it("terminates TLS with the admission webhook's certificate and picks up a rotated one from the same files", async () => {
    const now = new Date();
    const ca = await issueCa("prod-eu-1", now);
    const first = await issueServing(ca, "policyplane", "policyplane", now);
    const dir = mkdtempSync(path.join(tmpdir(), "pp-serve-tls-"));
    const files = { cert: path.join(dir, "tls.crt"), key: path.join(dir, "tls.key") };
    writeFileSync(files.cert, first.certPem);
    writeFileSync(files.key, first.keyPem);
    const lines: string[] = [];
    // Hex serials as Node and @peculiar/x509 spell them may differ by case and leading zeros.
    const serialOf = (hex: string) => hex.toLowerCase().replace(/^0+/, "");
    const tls = await serveApi(async () => database().db, 0, "127.0.0.1", { tls: files, tlsReloadMs: 50, log: (l) => lines.push(l) });
    // As the API server calls it: by the Service's DNS name, trusting the caBundle (the CA) alone.
    const get = () =>
      new Promise<{ status: number; serial: string }>((resolve, reject) => {
        const req = request(
          `${tls.url}/api/v1/health`,
          { ca: ca.certPem, servername: "policyplane.policyplane.svc", agent: false },
          (res) => {
            res.resume();
            resolve({
              status: res.statusCode!,
              serial: (res.socket as unknown as { getPeerCertificate(): PeerCertificate }).getPeerCertificate().serialNumber,
            });
          },
        );
        req.on("error", reject);
        req.end();
      });
    try {
      expect(tls.url).toMatch(/^https:\/\//);
      const before = await get();
      expect(before.status).toBe(200);
      expect(serialOf(before.serial)).toBe(serialOf(first.serial));

      const rotated = await issueServing(ca, "policyplane", "policyplane", now);
      writeFileSync(files.cert, rotated.certPem);
      writeFileSync(files.key, rotated.keyPem);
      await expect.poll(async () => serialOf((await get()).serial), { timeout: 10_000 }).toBe(serialOf(rotated.serial));
      expect(lines.some((l) => l.includes("TLS certificate reloaded"))).toBe(true);

      // A key that is not the certificate's: reported, and the working pair kept.
      writeFileSync(files.key, first.keyPem);
      await expect.poll(() => lines.some((l) => l.includes("kept the previous TLS certificate")), { timeout: 10_000 }).toBe(true);
      expect((await get()).status).toBe(200);
    } finally {
      await new Promise((resolve) => tls.server.close(resolve));
    }
    // Refused at start: a missing file by name, a mismatched pair naming both flags.
    await expect(
      serveApi(async () => database().db, 0, "127.0.0.1", { tls: { ...files, cert: path.join(dir, "none.crt") } }),
    ).rejects.toThrow(new UsageError(`--tls-cert: cannot read ${path.join(dir, "none.crt")} (ENOENT)`));
    await expect(serveApi(async () => database().db, 0, "127.0.0.1", { tls: files })).rejects.toThrow(
      /--tls-cert .* \/ --tls-key .*: not a PEM certificate and its private key/,
    );
  });
});
