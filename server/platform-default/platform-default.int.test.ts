import { count, desc, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditEvents, platformDefaultVersions } from "@/db/schema";
import { testDatabaseKind } from "@/db/testing";
import { loadGraph } from "@/server/graph/service";
import { releaseInputs } from "@/server/changes/release-lint";
import { callerFor } from "@/server/testing/actors";
import { useSeededDatabase } from "@/server/testing/database";
import { trpcCode } from "@/server/testing/trpc";
import { auditEventsAfter, auditHead } from "@/server/testing/audit-events";

const ADMIN = "alex.admin@acme.example";
const AUTHOR = "priya.payments@acme.example";
const VIEWER = "avery.audit@acme.example";

describe(`the platform default setting on ${testDatabaseKind()}`, () => {
  const database = useSeededDatabase();
  const db = () => database().db;
  const audits = async () => (await db().select({ n: count() }).from(auditEvents))[0]!.n;

  it("starts as version 1, on for every namespace, and every signed-in person may read it", async () => {
    const viewer = await callerFor(db(), VIEWER);
    const { current, history } = await viewer.settings.platformDefault();
    expect(current).toMatchObject({ version: 1, enabled: true, excludeNamespaces: [] });
    expect(history.map((h) => h.version)).toEqual([1]);
    expect(await trpcCode((await callerFor(db(), null)).settings.platformDefault())).toBe("UNAUTHORIZED");
  });

  it("refuses a change to an author on the server, and writes nothing but the refusal", async () => {
    const head = await auditHead(db());
    const author = await callerFor(db(), AUTHOR);
    expect(
      await trpcCode(
        author.settings.updatePlatformDefault({ enabled: false, excludeNamespaces: [], message: "turn it off", expectedVersion: 1 }),
      ),
    ).toBe("FORBIDDEN");
    expect(await auditEventsAfter(db(), head)).toMatchObject([
      { action: "mutation.refused", targetId: "settings.updatePlatformDefault", actorLabel: AUTHOR },
    ]);
    expect((await db().select({ n: count() }).from(platformDefaultVersions))[0]!.n).toBe(1);
  });

  it("refuses a namespace name that is not one, naming the field", async () => {
    const admin = await callerFor(db(), ADMIN);
    expect(
      await trpcCode(
        admin.settings.updatePlatformDefault({
          enabled: true,
          excludeNamespaces: ["Kube System"],
          message: "exclude system",
          expectedVersion: 1,
        }),
      ),
    ).toBe("BAD_REQUEST");
  });

  it("an admin's change is a new version with an audit event in the same transaction, and the graph and the lint follow it", async () => {
    const before = await audits();
    const graphBefore = await loadGraph(db(), "prod-eu-1", { kind: "release" }, null);
    const admin = await callerFor(db(), ADMIN);
    const v2 = await admin.settings.updatePlatformDefault({
      enabled: true,
      excludeNamespaces: ["kube-system", "ingress-nginx"],
      message: "system namespaces are the platform team's",
      expectedVersion: 1,
    });
    expect(v2).toMatchObject({ version: 2, enabled: true, excludeNamespaces: ["ingress-nginx", "kube-system"], authorLabel: ADMIN });
    expect(await audits()).toBe(before + 1);
    const [event] = await db().select().from(auditEvents).orderBy(desc(auditEvents.seq)).limit(1);
    expect(event).toMatchObject({
      action: "platform-default.changed",
      actorLabel: ADMIN,
      before: { version: 1, enabled: true, excludeNamespaces: [] },
      after: { version: 2, excludeNamespaces: ["ingress-nginx", "kube-system"] },
    });

    // A stale editor is refused instead of overwriting the newer version.
    expect(
      await trpcCode(
        admin.settings.updatePlatformDefault({ enabled: false, excludeNamespaces: [], message: "stale form", expectedVersion: 1 }),
      ),
    ).toBe("CONFLICT");

    const graphAfter = await loadGraph(db(), "prod-eu-1", { kind: "release" }, null);
    expect(graphAfter.cached).toBe(false);
    expect(graphAfter.graph.platformDefault).toMatchObject({ version: 2, excludeNamespaces: ["ingress-nginx", "kube-system"] });
    expect(graphBefore.graph.platformDefault).toMatchObject({ version: 1 });
    expect((await releaseInputs(db())).platformDefault).toEqual({ enabled: true, excludeNamespaces: ["ingress-nginx", "kube-system"] });
  });

  it("keeps versions immutable: an UPDATE is refused by the database", async () => {
    await expect(db().execute(sql`UPDATE platform_default_versions SET enabled = false WHERE version = 1`)).rejects.toThrow();
    const [v1] = await db().select().from(platformDefaultVersions).where(eq(platformDefaultVersions.version, 1));
    expect(v1!.enabled).toBe(true);
  });
});
