// The platform default is changed only through the approval workflow (issue 10): an admin proposes
// it as a change request, the committee approves it under the approval rules (every committee
// function when it loosens), its impact is the engine's paths opened and closed per cluster, and
// only its release makes it the next version, compiled into every cluster's desired state.
import { count, desc, eq, sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { changeRequests, platformDefaultVersions, releases } from "@/db/schema";
import { testDatabaseKind } from "@/db/testing";
import { loadGraph } from "@/server/graph/service";
import { releaseInputs } from "@/server/changes/release-lint";
import { callerFor, DEMO_PEOPLE } from "@/server/testing/actors";
import { PLATFORM_DEFAULT_SOURCE, platformDefaultObjects } from "@/server/testing/platform-default";
import { useSeededDatabase } from "@/server/testing/database";
import { trpcCode, trpcFailure } from "@/server/testing/trpc";
import { auditEventsAfter, auditHead } from "@/server/testing/audit-events";
import { releasePaymentsPolicy } from "@/server/testing/release";

const ADMIN = DEMO_PEOPLE.admin;
const AUTHOR = DEMO_PEOPLE.author;
const VIEWER = DEMO_PEOPLE.viewer;
const SECURITY = [DEMO_PEOPLE.security, "lena.security@acme.example"];
const NETWORKING = DEMO_PEOPLE.networking;
const PLATFORM = "pat.platform@acme.example";
const APPLICATION = DEMO_PEOPLE.paymentsCommittee;

describe(`the platform default through the approval workflow on ${testDatabaseKind()}`, () => {
  const database = useSeededDatabase();
  const db = () => database().db;
  const as = (email: string) => callerFor(db(), email);
  const versions = async () => (await db().select({ n: count() }).from(platformDefaultVersions))[0]!.n;
  const changeCount = async () => (await db().select({ n: count() }).from(changeRequests))[0]!.n;
  const defaultObjects = (cluster: string) => platformDefaultObjects(db(), cluster);

  // A release in force (the seed has none): the clusters' desired state is compiled from it.
  beforeAll(() => releasePaymentsPolicy(db(), "platform-default-base"));

  it("starts as version 1, on for every namespace, and every signed-in person may read it", async () => {
    const { current, history, proposed } = await (await as(VIEWER)).settings.platformDefault();
    expect(current).toMatchObject({ version: 1, enabled: true, excludeNamespaces: [], releaseNumber: null });
    expect(history.map((h) => h.version)).toEqual([1]);
    expect(proposed).toBeNull();
    expect(await trpcCode((await callerFor(db(), null)).settings.platformDefault())).toBe("UNAUTHORIZED");
  });

  it("refuses a proposal to an author on the server, and writes nothing but the refusal", async () => {
    const head = await auditHead(db());
    const changes = await changeCount();
    const author = await as(AUTHOR);
    expect(
      await trpcCode(
        author.settings.proposePlatformDefault({ enabled: false, excludeNamespaces: [], message: "turn it off", expectedVersion: 1 }),
      ),
    ).toBe("FORBIDDEN");
    expect(await auditEventsAfter(db(), head)).toMatchObject([
      { action: "mutation.refused", targetId: "settings.proposePlatformDefault", actorLabel: AUTHOR },
    ]);
    expect(await changeCount()).toBe(changes);
    expect(await versions()).toBe(1);
  });

  it("refuses a namespace name that is not one, a stale form and a proposal that changes nothing, naming why", async () => {
    const admin = await as(ADMIN);
    const bad = await trpcFailure(
      admin.settings.proposePlatformDefault({
        enabled: true,
        excludeNamespaces: ["Kube System"],
        message: "exclude system",
        expectedVersion: 1,
      }),
    );
    expect(bad.code).toBe("BAD_REQUEST");
    const same = await trpcFailure(
      admin.settings.proposePlatformDefault({ enabled: true, excludeNamespaces: [], message: "nothing at all", expectedVersion: 1 }),
    );
    expect(same.code).toBe("BAD_REQUEST");
    expect(same.message).toMatch(/already on, every namespace \(version 1\): nothing to propose/);
    const stale = await trpcFailure(
      admin.settings.proposePlatformDefault({ enabled: false, excludeNamespaces: [], message: "stale form", expectedVersion: 0 }),
    );
    expect(stale.code).toBe("CONFLICT");
  });

  it("refuses a version written directly, outside a release, in the database itself", async () => {
    await expect(
      db().execute(
        sql`INSERT INTO platform_default_versions (version, enabled, exclude_namespaces, author_label) VALUES (2, false, '[]'::jsonb, 'someone')`,
      ),
    ).rejects.toThrow();
    expect(await versions()).toBe(1);
  });

  it("turning it off is a loosening change request: every committee function, impact per cluster, in force only once released", async () => {
    const admin = await as(ADMIN);
    const graphBefore = await loadGraph(db(), "prod-eu-1", { kind: "release" }, null);
    expect((await defaultObjects("prod-eu-1")).length).toBeGreaterThan(0);
    const proposed = await admin.settings.proposePlatformDefault({
      enabled: false,
      excludeNamespaces: [],
      message: "The clusters' own CNI baselines take over",
      expectedVersion: 1,
    });
    expect(proposed).toMatchObject({ state: "in-review", loosens: true });
    const { number, contentHash } = proposed;
    expect((await admin.settings.platformDefault()).proposed).toMatchObject({ number, state: "in-review" });
    // One at a time: a second proposal names the open one.
    const second = await trpcFailure(
      admin.settings.proposePlatformDefault({ enabled: true, excludeNamespaces: ["kube-system"], message: "another", expectedVersion: 1 }),
    );
    expect(second.code).toBe("CONFLICT");
    expect(second.message).toContain(`#${number}`);

    // The page: the setting in force and the one proposed, and the rules a loosening global change hits.
    const change = await admin.changes.get({ number });
    expect(change.platformDefault).toMatchObject({
      fromVersion: 1,
      from: { enabled: true, excludeNamespaces: [] },
      to: { enabled: false, excludeNamespaces: [] },
      loosens: true,
      summary: ["turns it off"],
    });
    const review = await admin.workflow.review({ number });
    expect(review.rules.map((r) => r.rule).sort()).toEqual(["global-regional-tier", "loosen-constraint"]);
    const loosening = review.rules.find((r) => r.rule === "loosen-constraint")!;
    expect(loosening.required.map((s) => s.function).sort()).toEqual(["application", "networking", "platform", "security"]);

    // The impact, from the engine: paths that no policy allows open up, per cluster, and no workload is newly default-denied.
    const impact = await admin.changes.impact({ number });
    expect(impact.risk.level).toBe("critical");
    expect(impact.risk.reasons.map((r) => r.text)).toContain(
      "loosens the platform default: what no policy decides is allowed where it was denied, in every cluster",
    );
    expect(impact.totals.added).toBeGreaterThan(0);
    expect(impact.totals.removed).toBe(0);
    const prod = impact.clusters.find((c) => c.cluster === "prod-eu-1")!;
    expect(prod.added.length).toBeGreaterThan(0);
    expect(prod.noLongerDefaultDenied.some((d) => d.by === "the platform default")).toBe(true);
    // The compiled diff: the platform default's objects leave the cluster.
    const compiled = await admin.changes.compiledDiff({ number, target: "anp", cluster: "prod-eu-1" });
    const touched = compiled.clusters[0]!.changes.filter((c) => c.before.includes(PLATFORM_DEFAULT_SOURCE));
    expect(touched.length).toBeGreaterThan(0);
    expect(touched.every((c) => !c.after.includes(PLATFORM_DEFAULT_SOURCE))).toBe(true);

    // It cannot be edited into another change, and its author (the admin) cannot approve it.
    expect(await trpcCode(admin.workflow.edit({ number, contentHash, title: "other" }))).toBe("CONFLICT");
    expect(await trpcCode(admin.workflow.approve({ number, contentHash }))).toBe("FORBIDDEN");

    // Release is refused until every rule is met.
    for (const email of [...SECURITY, NETWORKING, PLATFORM]) await (await as(email)).workflow.approve({ number, contentHash });
    expect((await admin.workflow.review({ number })).state).toBe("in-review");
    const early = await trpcFailure(admin.workflow.release({ number }));
    expect(early.code).toBe("CONFLICT");
    expect(early.message).toContain("application (loosen-constraint)");
    expect((await (await as(APPLICATION)).workflow.approve({ number, contentHash })).state).toBe("approved");

    // Approved is not in force: the graph, lint inputs and the clusters still have version 1.
    expect(await versions()).toBe(1);
    expect((await releaseInputs(db())).platformDefault).toEqual({ enabled: true, excludeNamespaces: [] });
    expect((await defaultObjects("prod-eu-1")).length).toBeGreaterThan(0);

    const head = await auditHead(db());
    const { release } = await admin.workflow.release({ number });
    const { current } = await admin.settings.platformDefault();
    expect(current).toMatchObject({ version: 2, enabled: false, releaseNumber: release, authorLabel: ADMIN });
    expect(current.message).toContain(`change request #${number}`);
    // In the same transaction: the new version's audit event and the release's, which records both settings.
    const events = await auditEventsAfter(db(), head);
    expect(events.find((e) => e.action === "platform-default.changed")).toMatchObject({
      after: { version: 2, enabled: false, release, changeRequest: number, loosens: true },
    });
    expect(events.find((e) => e.action === "release.created")!.after).toMatchObject({
      platformDefault: { from: { enabled: true }, to: { enabled: false } },
      compileCheck: { clusters: 3, disagreements: 0 },
    });
    // Compiled into every cluster's desired state: no cluster gets the platform default's objects any more.
    for (const cluster of ["staging-eu-1", "prod-eu-1", "prod-us-1"]) expect(await defaultObjects(cluster)).toEqual([]);
    const graphAfter = await loadGraph(db(), "prod-eu-1", { kind: "release" }, null);
    expect(graphAfter.graph.platformDefault).toMatchObject({ version: 2, enabled: false });
    expect(graphAfter.graph.data.edges.length).toBeGreaterThan(graphBefore.graph.data.edges.length);
    // The impact, lint and compile checks of every cluster, twice: minutes on a machine shared with other suites.
  }, 180_000);

  it("turning it back on for all but kube-system tightens: the global-tier rule alone, and the objects come back without kube-system", async () => {
    const admin = await as(ADMIN);
    const { number, contentHash, loosens } = await admin.settings.proposePlatformDefault({
      enabled: true,
      excludeNamespaces: ["kube-system"],
      message: "Back to secure by default; kube-system is the platform team's",
      expectedVersion: 2,
    });
    expect(loosens).toBe(false);
    const review = await admin.workflow.review({ number });
    expect(review.rules.map((r) => r.rule)).toEqual(["global-regional-tier"]);
    const impact = await admin.changes.impact({ number });
    expect(impact.totals.removed).toBeGreaterThan(0);
    expect(impact.clusters.some((c) => c.newlyDefaultDenied.some((d) => d.by === "the platform default"))).toBe(true);
    for (const email of [...SECURITY, NETWORKING]) await (await as(email)).workflow.approve({ number, contentHash });
    const { release } = await admin.workflow.release({ number });
    const [row] = await db().select().from(releases).where(eq(releases.number, release));
    expect(row!.changeRequestNumber).toBe(number);
    const [v3] = await db().select().from(platformDefaultVersions).orderBy(desc(platformDefaultVersions.version)).limit(1);
    expect(v3).toMatchObject({ version: 3, enabled: true, excludeNamespaces: ["kube-system"], releaseNumber: release });
    const objects = await defaultObjects("prod-eu-1");
    expect(objects.length).toBeGreaterThan(0);
    expect(JSON.stringify(objects)).toContain("kube-system");
  }, 180_000);

  it("refuses to release a proposal made from a version no longer in force", async () => {
    const admin = await as(ADMIN);
    const { number, contentHash } = await admin.settings.proposePlatformDefault({
      enabled: true,
      excludeNamespaces: [],
      message: "Cover kube-system as well",
      expectedVersion: 3,
    });
    for (const email of [...SECURITY, NETWORKING]) await (await as(email)).workflow.approve({ number, contentHash });
    // A version written meanwhile (as a release of another proposal would), bypassing the one-at-a-time rule.
    await db().execute(
      sql`INSERT INTO platform_default_versions (version, enabled, exclude_namespaces, author_label, release_number) VALUES (4, true, '["monitoring"]'::jsonb, 'test', 999)`,
    );
    const review = await admin.workflow.review({ number });
    expect(review.rebase).toEqual([{ policy: "platform default", proposedFrom: 3, released: 4 }]);
    expect(review.actions).not.toContain("release");
    const refused = await trpcFailure(admin.workflow.release({ number }));
    expect(refused.code).toBe("CONFLICT");
    expect(refused.message).toMatch(/changes platform default version 3, but version 4 has taken effect since/);
    expect(await versions()).toBe(4);
  });

  it("keeps versions immutable: an UPDATE is refused by the database", async () => {
    await expect(db().execute(sql`UPDATE platform_default_versions SET enabled = false WHERE version = 1`)).rejects.toThrow();
    const [v1] = await db().select().from(platformDefaultVersions).where(eq(platformDefaultVersions.version, 1));
    expect(v1!.enabled).toBe(true);
  });
});
