// Exception approval rules edited in Settings (issue 14 item 2): admins preview unsaved rules (which
// rules an exception would hit and who could approve it today), and save them audited; bad rules
// are refused naming the problem, and nobody else may preview or save.
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditEvents } from "@/db/schema";
import { testDatabaseKind } from "@/db/testing";
import { callerFor, DEMO_PEOPLE } from "@/server/testing/actors";
import { useSeededDatabase } from "@/server/testing/database";
import { trpcFailure } from "@/server/testing/trpc";
import type { PreviewExceptionRulesInput } from "./schemas";

type Rules = PreviewExceptionRulesInput["rules"];
const RULES: Rules = [
  {
    key: "exception",
    description: "One security approver",
    appliesTo: "all",
    requirements: [{ function: "security", count: 1, scope: "organisation" }],
  },
  {
    key: "exception-production",
    description: "Production: security and the owning tenant's application approver",
    appliesTo: "production",
    requirements: [
      { function: "security", count: 2, scope: "organisation" },
      { function: "application", count: 1, scope: "owning-tenant" },
    ],
  },
];

describe(`exception approval rules in Settings on ${testDatabaseKind()}`, () => {
  const database = useSeededDatabase();
  const db = () => database().db;

  it("previews unsaved rules: the rules an exception hits inside or outside production, with who could approve it", async () => {
    const admin = await callerFor(db(), DEMO_PEOPLE.admin);
    const outside = await admin.exceptions.previewRules({ rules: RULES, production: false, tenant: "payments" });
    expect(outside.rules.map((r) => r.rule)).toEqual(["exception"]);
    expect(outside.rules[0]!.required[0]!.eligible).toContain(DEMO_PEOPLE.security);

    const production = await admin.exceptions.previewRules({ rules: RULES, production: true, tenant: "payments" });
    expect(production.rules.map((r) => r.rule)).toEqual(["exception", "exception-production"]);
    const tenantSlot = production.rules[1]!.required.find((q) => q.scope === "owning-tenant")!;
    expect(tenantSlot).toMatchObject({ function: "application", count: 1, tenant: "payments" });
    // The payments committee member may fill the payments slot; the security approver may not.
    expect(tenantSlot.eligible).toContain(DEMO_PEOPLE.paymentsCommittee);
    expect(tenantSlot.eligible).not.toContain(DEMO_PEOPLE.security);

    expect((await trpcFailure(admin.exceptions.previewRules({ rules: RULES, production: false, tenant: "nowhere" }))).message).toMatch(
      /No tenant named nowhere/,
    );
    const security = await callerFor(db(), DEMO_PEOPLE.security);
    expect((await trpcFailure(security.exceptions.previewRules({ rules: RULES, production: false, tenant: null }))).code).toBe("FORBIDDEN");
  });

  it("saves rules for admins only, audited; refuses duplicate keys and rules no exception outside production could meet", async () => {
    const admin = await callerFor(db(), DEMO_PEOPLE.admin);
    const before = await admin.exceptions.settings();
    const { id: _id, version, updatedAt: _u, updatedBy: _b, ...limits } = before;
    const save = (rules: Rules, who = admin) => who.exceptions.updateSettings({ ...limits, rules, expectedVersion: version });

    const duplicate = await trpcFailure(save([RULES[0]!, { ...RULES[1]!, key: "exception" }]));
    expect(duplicate.code).toBe("BAD_REQUEST");
    expect(duplicate.message).toMatch(/Two exception rules have the key exception/);
    const productionOnly = await trpcFailure(save([RULES[1]!]));
    expect(productionOnly.code).toBe("BAD_REQUEST");
    expect(productionOnly.message).toMatch(/an exception outside production could never be approved/);
    expect((await trpcFailure(save(RULES, await callerFor(db(), DEMO_PEOPLE.security)))).code).toBe("FORBIDDEN");
    expect((await admin.exceptions.settings()).version).toBe(version);

    const saved = await save(RULES);
    expect(saved.version).toBe(version + 1);
    expect((await admin.exceptions.settings()).rules).toEqual(RULES);
    const [event, ...more] = await db()
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, "exception.settings_changed"), eq(auditEvents.targetId, "1")));
    expect(more).toEqual([]);
    expect((event!.after as { rules: Rules }).rules).toEqual(RULES);
    expect((event!.before as { rules: Rules }).rules).toEqual(before.rules);
  });
});
