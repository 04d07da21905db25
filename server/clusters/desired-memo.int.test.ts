// A cluster's desired state is memoised by what it is rendered from (desired-memo.ts): a read with
// nothing changed answers the very objects of the last render (no compile), and a change to any
// input renders again: the release, the exceptions in force (an approval, an expiry at the server's
// clock), the platform default, the inventory, the cluster's capabilities.
import { desc, eq, sql } from "drizzle-orm";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { clusterProfiles, clusters, inventoryRevision, namespaces, platformDefaultVersions, workloads } from "@/db/schema";
import { testDatabaseKind } from "@/db/testing";
import { moveTestClock, serverNow } from "@/server/clock";
import { exceptionObjectsIn } from "@/server/exceptions/in-force";
import { callerFor, demoActor, DEMO_PEOPLE } from "@/server/testing/actors";
import { useSeededDatabase } from "@/server/testing/database";
import { cartReadsLedger, CART_LEDGER_CLUSTER as STAGING } from "@/server/testing/exceptions";
import { releasePaymentsPolicy } from "@/server/testing/release";
import { reportCapabilities } from "./capabilities";
import { desiredRenderCount } from "./desired-memo";
import { desiredManifests, renderInputFor, uploadObserved } from "./observed";
import { runEngine } from "@/server/engine-pool/pool";

vi.hoisted(() => {
  process.env.POLICYPLANE_TEST_CLOCK = "on";
});

const HOUR = 3_600_000;

describe(`the desired state memo on ${testDatabaseKind()}`, () => {
  const database = useSeededDatabase();
  const db = () => database().db;
  const desired = async (name = STAGING) =>
    desiredManifests({ ctx: { db: db(), actor: await demoActor(db(), DEMO_PEOPLE.admin), requestId: "memo-test" }, input: { name } });
  const clusterId = async () => (await db().select({ id: clusters.id }).from(clusters).where(eq(clusters.name, STAGING)))[0]!.id;

  /** A read after `change` renders again (new objects), and the next read is memoised again. */
  async function rendersAgainAfter(change: () => Promise<unknown>) {
    const before = await desired();
    expect((await desired()).objects).toBe(before.objects);
    await change();
    const after = await desired();
    expect(after.objects).not.toBe(before.objects);
    expect((await desired()).objects).toBe(after.objects);
    return { before, after };
  }

  const revision = async () => (await db().select({ r: inventoryRevision.revision }).from(inventoryRevision))[0]!.r;
  const adminCtx = async () => ({ db: db(), actor: await demoActor(db(), DEMO_PEOPLE.admin), requestId: "memo-test" });

  beforeAll(async () => {
    await releasePaymentsPolicy(db(), "memo-egress");
  });

  it("answers an unchanged state from the memo, the same objects a fresh render gives", async () => {
    const first = await desired();
    const second = await desired();
    expect(second.objects).toBe(first.objects);
    const fresh = await runEngine("desiredObjects", await renderInputFor(db(), { id: await clusterId(), name: STAGING }));
    expect(second.objects).toEqual(fresh.desired);
    // Each cluster has its own.
    expect((await desired("prod-eu-1")).objects).not.toBe(first.objects);
  });

  it("renders again after a new release", async () => {
    const { before, after } = await rendersAgainAfter(() => releasePaymentsPolicy(db(), "memo-egress-2"));
    expect(after.release).toBe(before.release! + 1);
  });

  it("renders again when an exception comes into force, and again at its expiry (server clock)", async () => {
    const author = await callerFor(db(), "carlos.checkout@acme.example");
    const security = await callerFor(db(), "sam.security@acme.example");
    let number = 0;
    const { after } = await rendersAgainAfter(async () => {
      const r = await author.exceptions.request(
        cartReadsLedger("Memo: cart reads ledger", { startsAt: serverNow().getTime() - HOUR, expiresAt: serverNow().getTime() + HOUR }),
      );
      await security.exceptions.approve({ number: r.number, contentHash: r.contentHash, comment: "" });
      number = r.number;
    });
    expect(exceptionObjectsIn(after.objects, number).length).toBeGreaterThan(0);
    const expired = await rendersAgainAfter(async () => moveTestClock(new Date(serverNow().getTime() + 2 * HOUR)));
    expect(exceptionObjectsIn(expired.after.objects, number)).toEqual([]);
  });

  it("renders again after a new platform default version", async () => {
    const [latest] = await db().select().from(platformDefaultVersions).orderBy(desc(platformDefaultVersions.version)).limit(1);
    const { release } = await desired();
    // A version released with the cluster's current release (as a released platform default change writes it).
    await rendersAgainAfter(() =>
      db()
        .insert(platformDefaultVersions)
        .values({
          version: (latest?.version ?? 0) + 100,
          enabled: !(latest?.enabled ?? false),
          excludeNamespaces: ["kube-system"],
          authorLabel: "memo test",
          releaseNumber: release,
        }),
    );
  });

  it("renders again after the inventory changes (a workload's labels)", async () => {
    const [w] = await db()
      .select({ id: workloads.id, labels: workloads.labels })
      .from(workloads)
      .innerJoin(namespaces, eq(namespaces.id, workloads.namespaceId))
      .where(eq(namespaces.clusterId, await clusterId()))
      .limit(1);
    await rendersAgainAfter(() =>
      db()
        .update(workloads)
        .set({ labels: { ...w!.labels, "memo-test": "changed" } })
        .where(eq(workloads.id, w!.id)),
    );
  });

  it("renders again after the cluster's capabilities change", async () => {
    const id = await clusterId();
    await rendersAgainAfter(() =>
      db()
        .insert(clusterProfiles)
        .values({ clusterId: id, cni: "calico" })
        .onConflictDoUpdate({ target: clusterProfiles.clusterId, set: { cni: "calico" } }),
    );
  });

  it("keeps the inventory revision on statements that change no row, and moves it on those that do", async () => {
    const [w] = await db().select().from(workloads).limit(1);
    const [c] = await db().select().from(clusters).where(eq(clusters.name, STAGING));
    const r0 = await revision();
    // Nothing matched; the same values written back; an upsert that rewrites a row as it is.
    await db().update(namespaces).set({ name: "nowhere" }).where(eq(namespaces.name, "no-such-namespace-anywhere"));
    await db().delete(workloads).where(eq(workloads.name, "no-such-workload-anywhere"));
    await db().update(workloads).set({ labels: w!.labels, replicas: w!.replicas }).where(eq(workloads.id, w!.id));
    await db()
      .insert(clusters)
      .values({ name: c!.name, region: c!.region, environment: c!.environment, labels: c!.labels })
      .onConflictDoUpdate({ target: clusters.name, set: { region: c!.region, labels: c!.labels } });
    await db().execute(sql`UPDATE services SET ports = ports`);
    expect(await revision()).toBe(r0);
    // One statement that changes rows moves it once, however many rows.
    await db().execute(sql`UPDATE workloads SET replicas = replicas + 1`);
    expect(await revision()).toBe(r0 + 1);
    await db().execute(sql`UPDATE workloads SET replicas = replicas - 1`);
    const [inserted] = await db()
      .insert(workloads)
      .values({ namespaceId: w!.namespaceId, name: "memo-revision-probe", kind: "Deployment" })
      .returning();
    expect(await revision()).toBe(r0 + 3);
    await db().delete(workloads).where(eq(workloads.id, inserted!.id));
    expect(await revision()).toBe(r0 + 4);
  });

  it("answers from the memo after an agent's push of an unchanged cluster (capabilities and observed state)", async () => {
    const first = await desired();
    const [profile] = await db()
      .select()
      .from(clusterProfiles)
      .where(eq(clusterProfiles.clusterId, await clusterId()));
    // What the cluster reports already (the first report may set it).
    const reportSame = async () =>
      reportCapabilities({
        ctx: await adminCtx(),
        input: {
          name: STAGING,
          cni: profile?.cni ?? "cilium",
          adminPolicyApi: profile?.adminPolicyApi ?? "none",
          istio: profile?.istio ?? false,
        },
      });
    await reportSame();
    const second = await desired();
    const rendersBefore = desiredRenderCount();
    const revisionBefore = await revision();
    const yaml = [
      "apiVersion: v1\nkind: Namespace\nmetadata: {name: payments, labels: {team: payments}}",
      "apiVersion: v1\nkind: Pod\nmetadata: {name: api-1, namespace: payments, labels: {app: api}}\nstatus: {podIP: 10.0.0.1, phase: Running}",
      ...first.objects.map((o) => JSON.stringify(o)),
    ].join("\n---\n");
    for (let i = 0; i < 2; i++) {
      await reportSame();
      await uploadObserved({ ctx: await adminCtx(), input: { name: STAGING, yaml }, source: "agent" });
    }
    expect(await revision()).toBe(revisionBefore);
    // The very objects of the last render: the REST route answers the agent's If-None-Match with 304.
    expect((await desired()).objects).toBe(second.objects);
    expect(desiredRenderCount()).toBe(rendersBefore);
  });
});
