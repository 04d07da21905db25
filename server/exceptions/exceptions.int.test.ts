// Exceptions end to end through the API: request, approve (the exception rules,
// separation of duties, content-hash binding), enforcement by time in every
// evaluation, revoke, the admins' limits, renewals, bad input, and the sweeper.
import { and, count, eq, like } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditEvents, exceptions, notifications, user } from "@/db/schema";
import { testDatabaseKind } from "@/db/testing";
import { callerFor } from "@/server/testing/actors";
import { useSeededDatabase } from "@/server/testing/database";
import { trpcFailure } from "@/server/testing/trpc";
import { releaseLint } from "@/server/changes/release-lint";
import { sweepExceptions } from "./sweep";
import type { RequestExceptionInput } from "./schemas";

const AUTHOR = "carlos.checkout@acme.example"; // author in checkout
const SECURITY = "sam.security@acme.example";
const SECURITY_2 = "lena.security@acme.example";
const NETWORK = "nina.network@acme.example";
const ADMIN = "alex.admin@acme.example";
const STAGING = "staging-eu-1";
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const iso = (ms: number) => new Date(ms).toISOString();

/** checkout's cart calling payments' ledger on 9090 in staging: denied by the release. */
function request(over: Partial<RequestExceptionInput> = {}, from = Date.now() - HOUR, until = Date.now() + 2 * DAY): RequestExceptionInput {
  return {
    title: "Cart reads prices from the catalog during the migration",
    flow: {
      direction: "egress",
      source: { namespace: "checkout", labels: { app: "cart" } },
      destination: { kind: "workload", namespace: "payments", labels: { app: "ledger" } },
      ports: [{ port: 9090, protocol: "TCP" }],
      clusters: [STAGING],
    },
    justification: "The price service moves next sprint; until then the cart reads prices directly.",
    ticket: "CHK-1234",
    startsAt: iso(from),
    expiresAt: iso(until),
    ...over,
  };
}

describe(`exceptions on ${testDatabaseKind()}`, () => {
  const database = useSeededDatabase();
  const db = () => database().db;
  const caller = (email: string) => callerFor(db(), email);
  const exceptionRows = async () => (await db().select({ n: count() }).from(exceptions))[0]!.n;
  const auditOf = async (action: string, number: number) =>
    db()
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, action), like(auditEvents.targetLabel, `E-${number} %`)));

  async function whatIf(port = 9090, time?: string) {
    const author = await caller(AUTHOR);
    return author.graph.whatIf({
      cluster: STAGING,
      from: "checkout/cart",
      to: "payments/ledger",
      port,
      protocol: "TCP",
      ...(time ? { time } : {}),
    });
  }

  it("requests, is approved by one security approver outside production, counts in the what-if, and stops at once when revoked", async () => {
    expect((await whatIf()).release.verdict).toBe("deny");
    const author = await caller(AUTHOR);
    const preview = await author.exceptions.preview({ flow: request().flow, startsAt: request().startsAt, expiresAt: request().expiresAt });
    expect(preview.problems).toEqual([]);
    expect(preview.production).toBe(false);
    expect(preview.clusters[0]!.opens.length).toBeGreaterThan(0);
    expect(preview.clusters[0]!.opens[0]).toMatchObject({ from: "checkout/cart", to: "payments/ledger", port: 9090 });

    const requested = await author.exceptions.request(request());
    expect(requested.state).toBe("requested");
    // Requested is not approved: nothing changes yet.
    expect((await whatIf()).release.verdict).toBe("deny");

    // Separation of duties and the committee function the rules ask for.
    expect(
      (await trpcFailure(author.exceptions.approve({ number: requested.number, contentHash: requested.contentHash, comment: "" }))).code,
    ).toBe("FORBIDDEN");
    const network = await caller(NETWORK);
    expect(
      (await trpcFailure(network.exceptions.approve({ number: requested.number, contentHash: requested.contentHash, comment: "" })))
        .message,
    ).toMatch(/Only an approver of security/);
    const security = await caller(SECURITY);
    // Bound to the content hash the approver saw.
    expect(
      (await trpcFailure(security.exceptions.approve({ number: requested.number, contentHash: "0".repeat(64), comment: "" }))).code,
    ).toBe("CONFLICT");
    const approved = await security.exceptions.approve({
      number: requested.number,
      contentHash: requested.contentHash,
      comment: "ok for two days",
    });
    expect(approved.state).toBe("approved");
    const allowed = await whatIf();
    expect(allowed.release.verdict).toBe("allow");
    expect(allowed.release.path).toMatch(/exception/);
    expect((await auditOf("exception.approved", requested.number)).length).toBe(1);
    const [requester] = await db().select().from(user).where(eq(user.email, AUTHOR));
    const told = await db()
      .select()
      .from(notifications)
      .where(and(eq(notifications.userId, requester!.id), eq(notifications.kind, "exception-decided")));
    expect(told.some((n) => n.title.includes(`E-${requested.number}`))).toBe(true);

    // Revoking: a network approver who did not approve may not; the approver may, effective on the next decision.
    expect((await trpcFailure(network.exceptions.revoke({ number: requested.number, reason: "" }))).code).toBe("FORBIDDEN");
    await security.exceptions.revoke({ number: requested.number, reason: "migration done early" });
    expect((await whatIf()).release.verdict).toBe("deny");
    expect((await auditOf("exception.revoked", requested.number)).length).toBe(1);
  });

  it("needs two security approvers when the flow touches a production cluster", async () => {
    const author = await caller(AUTHOR);
    const r = await author.exceptions.request(request({ flow: { ...request().flow, clusters: ["prod-eu-1"] } }));
    const first = await (await caller(SECURITY)).exceptions.approve({ number: r.number, contentHash: r.contentHash, comment: "" });
    expect(first.state).toBe("requested");
    const detail = await author.exceptions.get({ number: r.number });
    expect(detail.production).toBe(true);
    expect(detail.checklist.find((c) => c.rule === "exception-production")?.satisfied).toBe(false);
    const second = await (await caller(SECURITY_2)).exceptions.approve({ number: r.number, contentHash: r.contentHash, comment: "" });
    expect(second.state).toBe("approved");
    await (await caller(ADMIN)).exceptions.revoke({ number: r.number, reason: "test over" });
  });

  it("refuses bad input with a specific message and writes nothing", async () => {
    const author = await caller(AUTHOR);
    const before = await exceptionRows();
    const now = Date.now();
    const cases: [Partial<RequestExceptionInput>, RegExp][] = [
      [{ startsAt: iso(now + DAY), expiresAt: iso(now + HOUR) }, /is not after the start/],
      [{ startsAt: iso(now), expiresAt: iso(now + 31 * DAY) }, /over the maximum of 30 days/],
      [{ startsAt: "2026-12-06T10:00:00" }, /startsAt 2026-12-06T10:00:00 has no timezone/],
      [{ justification: "x".repeat(1024 * 1024) }, /at most 4,000 characters/],
      [
        {
          flow: {
            direction: "egress",
            source: { namespace: "checkout", labels: { app: "cart" } },
            destination: { kind: "cidr", cidr: "169.254.169.254/32" },
            ports: [{ port: 80, protocol: "TCP" }],
          },
        },
        /Compliance constraint no-cloud-metadata forbids this flow .*never be excepted/,
      ],
      [
        {
          flow: {
            direction: "egress",
            source: { namespace: "checkout", labels: { app: "cart" } },
            destination: { kind: "cidr", cidr: "0.0.0.0/0" },
            ports: [{ port: 443, protocol: "TCP" }],
          },
        },
        /0\.0\.0\.0\/0 is the whole internet/,
      ],
      [
        { flow: { ...request().flow, source: { namespace: "checkout", labels: {} }, clusters: ["prod-eu-1"] } },
        /the whole namespace checkout, which runs in a production cluster/,
      ],
    ];
    for (const [input, message] of cases) {
      const error = await trpcFailure(author.exceptions.request(request(input)));
      expect(error.code, String(message)).toBe("BAD_REQUEST");
      expect(error.message, String(message)).toMatch(message);
    }
    expect(await exceptionRows()).toBe(before);
  });

  it("allows an exception for a workload that does not exist yet, with a warning", async () => {
    const author = await caller(AUTHOR);
    const ghost = request({ flow: { ...request().flow, source: { namespace: "checkout", labels: { app: "not-deployed-yet" } } } });
    const preview = await author.exceptions.preview({ flow: ghost.flow, startsAt: ghost.startsAt, expiresAt: ghost.expiresAt });
    expect(preview.problems).toEqual([]);
    expect(preview.warnings.join(" ")).toMatch(/No workload matches the source checkout \{app=not-deployed-yet\}/);
    const r = await author.exceptions.request(ghost);
    expect(r.warnings.join(" ")).toMatch(/open nothing until one exists/);
    // Once approved it is in force, and lint (which reads the documents in force) says it selects nothing.
    await (await caller(SECURITY)).exceptions.approve({ number: r.number, contentHash: r.contentHash, comment: "" });
    const lint = await releaseLint(db());
    expect(lint.findings.some((f) => f.id === "no-match" && f.document === `Exception/exception-${r.number}`)).toBe(true);
    await (await caller(ADMIN)).exceptions.revoke({ number: r.number, reason: "test over" });
    expect((await releaseLint(db())).findings.some((f) => f.document === `Exception/exception-${r.number}`)).toBe(false);
  });

  it("renews an exception as a new request linked to the old one, up to the admins' limit in a row", async () => {
    const admin = await caller(ADMIN);
    const settings = await admin.exceptions.settings();
    await admin.exceptions.updateSettings({ ...settings, expectedVersion: settings.version, maxRenewals: 1 });
    const author = await caller(AUTHOR);
    const security = await caller(SECURITY);
    const first = await author.exceptions.request(request());
    await security.exceptions.approve({ number: first.number, contentHash: first.contentHash, comment: "" });
    const renewal = await author.exceptions.request(request({ renews: first.number }, Date.now() + DAY, Date.now() + 3 * DAY));
    const detail = await author.exceptions.get({ number: renewal.number });
    expect(detail).toMatchObject({ renews: first.number, renewalDepth: 1 });
    await security.exceptions.approve({ number: renewal.number, contentHash: renewal.contentHash, comment: "" });
    const again = await trpcFailure(author.exceptions.request(request({ renews: renewal.number })));
    expect(again.message).toMatch(/already renewed 1 time\(s\) in a row; the admins allow 1/);
    const fresh = await admin.exceptions.settings();
    await admin.exceptions.updateSettings({ ...fresh, expectedVersion: fresh.version, maxRenewals: 2 });
    for (const n of [first.number, renewal.number]) await admin.exceptions.revoke({ number: n, reason: "test over" });
  });

  it("counts to the millisecond in the what-if: allowed 1 ms before expiry, denied at it, whatever the sweeper did", async () => {
    const author = await caller(AUTHOR);
    const start = Date.now() + 2 * HOUR;
    const end = start + DAY;
    const r = await author.exceptions.request(request({}, start, end));
    await (await caller(SECURITY)).exceptions.approve({ number: r.number, contentHash: r.contentHash, comment: "" });
    expect((await whatIf(9090, iso(start - 1))).release.verdict).toBe("deny");
    expect((await whatIf(9090, iso(start))).release.verdict).toBe("allow");
    expect((await whatIf(9090, iso(end - 1))).release.verdict).toBe("allow");
    expect((await whatIf(9090, iso(end))).release.verdict).toBe("deny");
    await (await caller(ADMIN)).exceptions.revoke({ number: r.number, reason: "test over" });
  });

  it("sweeps: two concurrent runs record one start and one expiry, notify 7 days and 1 day before, and a later run records nothing", async () => {
    const author = await caller(AUTHOR);
    const start = Date.now() - HOUR;
    const end = Date.now() + 10 * DAY;
    const r = await author.exceptions.request(request({}, start, end));
    await (await caller(SECURITY)).exceptions.approve({ number: r.number, contentHash: r.contentHash, comment: "" });

    const [a, b] = await Promise.all([sweepExceptions(db(), new Date()), sweepExceptions(db(), new Date())]);
    expect([...a.started, ...b.started].filter((n) => n === r.number)).toEqual([r.number]);
    expect((await auditOf("exception.started", r.number)).length).toBe(1);

    const in6Days = new Date(end - 6 * DAY);
    const notices7 = await Promise.all([sweepExceptions(db(), in6Days), sweepExceptions(db(), in6Days)]);
    expect(notices7.flatMap((s) => s.notices).filter((n) => n.number === r.number)).toEqual([{ number: r.number, days: 7 }]);
    const in23Hours = new Date(end - 23 * HOUR);
    expect((await sweepExceptions(db(), in23Hours)).notices.filter((n) => n.number === r.number)).toEqual([{ number: r.number, days: 1 }]);

    const after = new Date(end);
    const runs = await Promise.all([sweepExceptions(db(), after), sweepExceptions(db(), after)]);
    expect(runs.flatMap((s) => s.expired).filter((n) => n === r.number)).toEqual([r.number]);
    expect((await sweepExceptions(db(), new Date(end + DAY))).expired).not.toContain(r.number);
    const expiry = await auditOf("exception.expired", r.number);
    expect(expiry).toHaveLength(1);
    expect(expiry[0]!.after).toMatchObject({ state: "expired", expiresAt: iso(end) });
    expect((await author.exceptions.get({ number: r.number })).state).toBe("expired");
    const [requester] = await db().select().from(user).where(eq(user.email, AUTHOR));
    const expiring = await db()
      .select()
      .from(notifications)
      .where(
        and(
          eq(notifications.userId, requester!.id),
          eq(notifications.kind, "exception-expiring"),
          like(notifications.title, `%E-${r.number} %`),
        ),
      );
    expect(expiring.map((n) => n.title).sort()).toEqual(
      [
        expect.stringMatching(/expired$/),
        expect.stringMatching(/expires within 7 days/),
        expect.stringMatching(/expires within a day/),
      ].sort(),
    );
  });

  it("exports the history as CSV for the auditor, with formula-like cells defused", async () => {
    const auditor = await caller("avery.audit@acme.example");
    const { csv, filename } = await auditor.exceptions.exportCsv({});
    expect(filename).toMatch(/^exceptions-\d{4}-\d{2}-\d{2}\.csv$/);
    const lines = csv.trim().split("\r\n");
    expect(lines[0]).toBe(
      "number,title,state,direction,source,destination,ports,startsAt,expiresAt,requester,ticket,decidedBy,decidedAt,decisionReason,renews,usedFlows,lastUsed,usedInClusters,stillEnforcedIn,justification",
    );
    expect(lines.length).toBeGreaterThan(3);
    expect(csv).toMatch(/,expired,egress,checkout app=cart,payments app=ledger,9090\/TCP,/);
  });
});
