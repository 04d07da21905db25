// The outgoing webhook against a real HTTP server on this machine: signed JSON
// with a Slack-compatible text, retries with backoff, the delivery log, leases
// that survive a crashed worker, and settings only admins change.
import { createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { desc, eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { auditEvents, webhookAttempts, webhookDeliveries } from "@/db/schema";
import { testDatabaseKind } from "@/db/testing";
import { callerFor, DEMO_PEOPLE } from "@/server/testing/actors";
import { useSeededDatabase } from "@/server/testing/database";
import { trpcFailure as failure } from "@/server/testing/trpc";
import { deliverDueWebhooks, WEBHOOK_SIGNATURE_HEADER } from "./deliver";

const { admin: ADMIN, author: AUTHOR } = DEMO_PEOPLE;
const SECRET = "a-webhook-secret-of-some-length";

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A receiver that answers each request with the next status of `answers` (200 once they run out; "hang" never answers). */
class Receiver {
  received: Received[] = [];
  answers: (number | "hang")[] = [];
  private server: Server | undefined;
  url = "";
  async start() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        this.received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
        const answer = this.answers.shift() ?? 200;
        if (answer === "hang") return;
        res.writeHead(answer, { "content-type": "text/plain" }).end("ok");
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/hook`;
  }
  async stop() {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

describe(`outgoing webhook on ${testDatabaseKind()}`, () => {
  const database = useSeededDatabase();
  const db = () => database().db;
  const receiver = new Receiver();
  let clock = Date.now();
  const now = () => new Date(clock);
  const run = (options: Parameters<typeof deliverDueWebhooks>[1] = {}) =>
    deliverDueWebhooks(db(), { now, firstRetryMs: 1000, origin: "https://policyplane.acme.example", ...options });

  beforeAll(async () => {
    await receiver.start();
  });
  afterAll(async () => {
    await receiver.stop();
  });
  beforeEach(async () => {
    // A little ahead of the database's clock, which stamps each queued row's first due time.
    clock = Date.now() + 5_000;
    receiver.received = [];
    receiver.answers = [];
    // Whatever an earlier test left queued is out of the way.
    await db().update(webhookDeliveries).set({ state: "failed" }).where(eq(webhookDeliveries.state, "pending"));
    await (await callerFor(db(), ADMIN)).webhooks.update({ url: receiver.url, secret: SECRET, enabled: true });
  });

  async function queued() {
    const { delivery } = await (await callerFor(db(), ADMIN)).webhooks.sendTest();
    return delivery;
  }

  it("posts signed JSON with a Slack-compatible text and a link, and logs the answer", async () => {
    const id = await queued();
    expect(await run()).toBe(1);
    expect(receiver.received).toHaveLength(1);
    const [{ headers, body }] = receiver.received as [Received];
    const payload = JSON.parse(body) as Record<string, unknown>;
    expect(payload).toMatchObject({
      id,
      event: "test",
      url: "https://policyplane.acme.example/settings",
      text: `Test event from Policyplane, sent by ${ADMIN} <https://policyplane.acme.example/settings|open in Policyplane>`,
    });
    expect(headers["content-type"]).toBe("application/json");
    expect(headers["x-policyplane-event"]).toBe("test");
    expect(headers["x-policyplane-delivery"]).toBe(id);
    const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(headers[WEBHOOK_SIGNATURE_HEADER]))!;
    expect(v1).toBe(createHmac("sha256", SECRET).update(`${t}.${body}`).digest("hex"));
    const [delivery] = await db().select().from(webhookDeliveries).where(eq(webhookDeliveries.id, id));
    expect(delivery).toMatchObject({ state: "delivered", attempts: 1 });
    const log = await (await callerFor(db(), ADMIN)).webhooks.deliveries();
    expect(log[0]).toMatchObject({ id, state: "delivered", attempts: [{ attempt: 1, status: 200, error: null }] });
  });

  it("retries a failing endpoint with exponential backoff until it answers, every attempt in the log", async () => {
    receiver.answers = [500, 503];
    const id = await queued();
    expect(await run()).toBe(1);
    // Not due again before its backoff (1 s after the first failure).
    expect(await run()).toBe(0);
    clock += 1000;
    expect(await run()).toBe(1);
    clock += 1000;
    expect(await run()).toBe(0);
    clock += 1000; // the second retry waits 2 s
    expect(await run()).toBe(1);
    const attempts = await db().select().from(webhookAttempts).where(eq(webhookAttempts.deliveryId, id)).orderBy(webhookAttempts.attempt);
    expect(attempts.map((a) => [a.attempt, a.status, a.error])).toEqual([
      [1, 500, "HTTP 500"],
      [2, 503, "HTTP 503"],
      [3, 200, null],
    ]);
    expect(receiver.received.map((r) => r.headers["x-policyplane-delivery"])).toEqual([id, id, id]);
    const [delivery] = await db().select().from(webhookDeliveries).where(eq(webhookDeliveries.id, id));
    expect(delivery).toMatchObject({ state: "delivered", attempts: 3 });
  });

  it("gives up after the last attempt, and records an endpoint that does not answer or is not there", async () => {
    receiver.answers = ["hang", 500];
    const id = await queued();
    expect(await run({ timeoutMs: 300, maxAttempts: 2 })).toBe(1);
    clock += 1000;
    expect(await run({ timeoutMs: 300, maxAttempts: 2 })).toBe(1);
    clock += 60_000;
    expect(await run({ timeoutMs: 300, maxAttempts: 2 })).toBe(0);
    const attempts = await db().select().from(webhookAttempts).where(eq(webhookAttempts.deliveryId, id)).orderBy(webhookAttempts.attempt);
    expect(attempts.map((a) => [a.status, a.error])).toEqual([
      [null, "no answer within 300 ms"],
      [500, "HTTP 500"],
    ]);
    expect((await db().select().from(webhookDeliveries).where(eq(webhookDeliveries.id, id)))[0]).toMatchObject({ state: "failed" });

    // A port that was just free: nothing listens there.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    await (await callerFor(db(), ADMIN)).webhooks.update({ url: `http://127.0.0.1:${port}/nothing-listens`, enabled: true });
    const refused = await queued();
    await run();
    const [attempt] = await db().select().from(webhookAttempts).where(eq(webhookAttempts.deliveryId, refused));
    expect(attempt).toMatchObject({ status: null, error: "ECONNREFUSED" });
  });

  it("keeps what a crashed worker had leased until its lease runs out, then delivers it once", async () => {
    const id = await queued();
    await db()
      .update(webhookDeliveries)
      .set({ leasedUntil: new Date(clock + 30_000) })
      .where(eq(webhookDeliveries.id, id));
    expect(await run()).toBe(0);
    clock += 31_000;
    // Two workers at once: each due row is posted by one of them.
    const [a, b] = await Promise.all([run(), run()]);
    expect(a + b).toBe(1);
    expect(receiver.received.map((r) => r.headers["x-policyplane-delivery"])).toEqual([id]);
  });

  it("posts nothing while the webhook is disabled, and queues nothing new", async () => {
    const id = await queued();
    await (await callerFor(db(), ADMIN)).webhooks.update({ url: receiver.url, enabled: false });
    expect(await run()).toBe(0);
    expect(receiver.received).toEqual([]);
    expect((await failure((await callerFor(db(), ADMIN)).webhooks.sendTest())).message).toMatch(/not enabled/);
    const [delivery] = await db().select().from(webhookDeliveries).where(eq(webhookDeliveries.id, id));
    expect(delivery).toMatchObject({ state: "pending", attempts: 0 });
  });

  it("lets only admins see and change the webhook, never returns the secret, and audits each change", async () => {
    const author = await callerFor(db(), AUTHOR);
    expect((await failure(author.webhooks.get())).code).toBe("FORBIDDEN");
    expect((await failure(author.webhooks.update({ url: receiver.url, enabled: true }))).code).toBe("FORBIDDEN");
    expect((await failure(author.webhooks.deliveries())).code).toBe("FORBIDDEN");
    const admin = await callerFor(db(), ADMIN);
    const shown = await admin.webhooks.get();
    expect(JSON.stringify(shown)).not.toContain(SECRET);
    expect(shown).toMatchObject({ url: receiver.url, enabled: true, secretFingerprint: expect.stringMatching(/^[0-9a-f]{12}$/) });
    const short = await failure(admin.webhooks.update({ url: receiver.url, secret: "short", enabled: true }));
    expect([short.code, short.message]).toEqual(["BAD_REQUEST", "The signing secret needs at least 16 characters."]);
    expect((await failure(admin.webhooks.update({ url: "ftp://example.com/x", enabled: true }))).code).toBe("BAD_REQUEST");
    await admin.webhooks.update({ url: `${receiver.url}?v=2`, enabled: true });
    const [event] = await db()
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, "webhook.updated"))
      .orderBy(desc(auditEvents.seq))
      .limit(1);
    expect(event).toMatchObject({ actorLabel: ADMIN, after: { url: `${receiver.url}?v=2`, enabled: true } });
    expect(JSON.stringify(event)).not.toContain(SECRET);
  });
});
