import { TRPCError } from "@trpc/server";
import { and, count, eq, sql } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import { auditEvents, changeRequestItems, changeRequests, policies, policyVersions } from "@/db/schema";
import { testDatabaseKind } from "@/db/testing";
import { Conflict, InvalidInput, isUniqueViolation } from "@/server/errors";
import { DEMO_POLICIES } from "@/server/seed/demo-data";
import { callerFor } from "@/server/testing/actors";
import { useSeededDatabase } from "@/server/testing/database";
import { parse as parseYaml } from "yaml";
import { documentToYaml } from "@/lib/policy-yaml";
import { trpcFailure as failure } from "@/server/testing/trpc";
import { paymentsEgressYaml } from "@/server/testing/policies";

const AUTHOR = "priya.payments@acme.example"; // author in payments, viewer elsewhere
const VIEWER = "avery.audit@acme.example";
const SECURITY = "sam.security@acme.example"; // approver (security committee)

const paymentsPolicy = (name: string, rule: string) => `apiVersion: policyplane.io/v1
kind: Policy
metadata:
  name: ${name}
  tenant: payments
  description: Test policy
spec:
  tier: namespace
  subject:
    namespaces: [payments]
    podSelector:
      matchLabels:
        app: payments-api
  rules:
${rule}`;

const egressTo = (peer: string, ports = "      ports:\n        - port: 443\n          protocol: TCP\n") => `    - name: out
      direction: egress
      action: allow
      peers:
        - ${peer}
${ports}`;

describe(`policy services on ${testDatabaseKind()}`, () => {
  const database = useSeededDatabase();
  const db = () => database().db;
  /** PostgreSQL: waits until `n` sessions of this database wait for a lock. */
  async function lockWaiters(n: number) {
    await vi.waitFor(
      async () => {
        // postgres.js returns the rows as an array.
        const waiting = (await db().execute(
          sql`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
        )) as unknown as { n: number }[];
        expect(waiting[0]?.n).toBe(n);
      },
      { timeout: 20_000, interval: 50 },
    );
  }
  async function counts() {
    const [p] = await db().select({ n: count() }).from(policies);
    const [v] = await db().select({ n: count() }).from(policyVersions);
    const [a] = await db().select({ n: count() }).from(auditEvents);
    const [c] = await db().select({ n: count() }).from(changeRequests);
    return { policies: p!.n, versions: v!.n, audit: a!.n, changes: c!.n };
  }
  /** What a refused mutation leaves: nothing but its refusal event (one per refused call). */
  const refused = (before: Awaited<ReturnType<typeof counts>>, calls = 1) => ({ ...before, audit: before.audit + calls });

  it("lists every policy and constraint with versions, owner, scope and the engine's lint of the release", async () => {
    const viewer = await callerFor(db(), VIEWER);
    const list = await viewer.policies.list({});
    expect(list).toHaveLength(DEMO_POLICIES.length);
    const residency = list.find((p) => p.name === "eu-data-residency")!;
    expect(residency).toMatchObject({
      kind: "Policy",
      tier: "regional",
      releasedVersion: 1,
      latestVersion: 1,
      hasDraft: false,
      scope: "region eu-west",
      mayDraft: false,
    });
    expect(
      list
        .filter((p) => p.kind === "ComplianceConstraint")
        .map((p) => p.name)
        .sort(),
    ).toEqual(["no-cloud-metadata", "pci-egress-through-gateway"]);
    expect(list.every((p) => typeof p.lint.warnings === "number")).toBe(true);
    const searched = await viewer.policies.list({ search: "PAYMENTS-D" });
    expect(searched.map((p) => p.name)).toEqual(["payments-db"]);
  });

  it("saves a new namespace policy as draft version 1 with its audit event, and an unchanged save writes nothing", async () => {
    const author = await callerFor(db(), AUTHOR);
    const yaml = paymentsEgressYaml("payments-to-stripe"); // through the PCI gateway, as the PCI constraint requires
    const saved = await author.policies.saveDraft({ policyName: null, baseVersion: null, yaml, message: "Stripe API" });
    expect(saved).toMatchObject({ name: "payments-to-stripe", version: 1, created: true });
    const [row] = await db().select().from(policies).where(eq(policies.name, "payments-to-stripe"));
    expect(row).toMatchObject({ tier: "namespace", releasedVersion: null, latestVersion: 1 });
    const events = await db()
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, "policy.draft_saved"), eq(auditEvents.targetId, row!.id)));
    expect(events).toHaveLength(1);
    expect(events[0]!.after).toMatchObject({ version: 1, message: "Stripe API" });

    const before = await counts();
    const again = await author.policies.saveDraft({ policyName: "payments-to-stripe", baseVersion: 1, yaml, message: "" });
    expect(again).toMatchObject({ version: 1, created: false });
    expect(await counts()).toEqual(before);
  });

  it("refuses bad input with the field and the YAML line and column, and writes nothing but the refusal", async () => {
    const author = await callerFor(db(), AUTHOR);
    const cases: { yaml: string; field: string; line: number; message: RegExp }[] = [
      {
        yaml: paymentsPolicy("bad-cidr", egressTo("cidr: 10.0.0.0/33")),
        field: "spec.rules[0].peers[0].cidr",
        line: 19,
        message: /not a CIDR/,
      },
      {
        yaml: paymentsPolicy("bad-port", egressTo("dns: api.stripe.com", "      ports:\n        - port: 70000\n")),
        field: "spec.rules[0].ports[0].port",
        line: 21,
        message: /1 and 65535|port/,
      },
      {
        yaml: paymentsPolicy("bad-dns", egressTo("dns: api.*.stripe.com")),
        field: "spec.rules[0].peers[0].dns",
        line: 19,
        message: /wildcard/,
      },
      {
        yaml: paymentsPolicy("bad-tenant", egressTo("dns: api.stripe.com")).replace("tenant: payments", "tenant: paymentz"),
        field: "metadata.tenant",
        line: 5,
        message: /unknown tenant "paymentz"/,
      },
      { yaml: "apiVersion: policyplane.io/v1\nkind: Policy\nmetadata:\n  name: [unclosed\n", field: "", line: 4, message: /./ },
    ];
    for (const c of cases) {
      const before = await counts();
      const error = await failure(author.policies.saveDraft({ policyName: null, baseVersion: null, yaml: c.yaml, message: "" }));
      expect(error.code).toBe("BAD_REQUEST");
      const cause = error.cause as InvalidInput;
      expect(cause).toBeInstanceOf(InvalidInput);
      if (c.field) expect(cause.field).toBe(c.field);
      expect(cause.position?.line).toBe(c.line);
      expect(cause.message).toMatch(c.message);
      expect(cause.message).not.toMatch(/line \d+, column/); // the position is sent apart, so the editor does not say it twice
      expect(await counts()).toEqual(refused(before));
    }
  });

  it("refuses the names of the static routes under /policies on the name field, shows it in the analysis, and writes nothing but the refusal", async () => {
    const author = await callerFor(db(), AUTHOR);
    for (const name of ["new", "templates"]) {
      const yaml = paymentsPolicy(name, egressTo("dns: api.stripe.com"));
      const before = await counts();
      const error = await failure(author.policies.saveDraft({ policyName: null, baseVersion: null, yaml, message: "" }));
      expect(error.code).toBe("BAD_REQUEST");
      const cause = error.cause as InvalidInput;
      expect(cause.field).toBe("metadata.name");
      expect(cause.message).toMatch(new RegExp(`^metadata\\.name: "${name}" is reserved`));
      expect(cause.position).toEqual({ line: 4, column: 3 });
      expect(await counts()).toEqual(refused(before));
      expect(await db().select().from(policies).where(eq(policies.name, name))).toEqual([]);
      const analysis = await author.policies.analyse({ yaml });
      expect(analysis.errors).toEqual([expect.objectContaining({ path: "metadata.name", line: 4 })]);
    }
    // A name that merely starts with a reserved word is fine.
    expect(
      (
        await author.policies.saveDraft({
          policyName: null,
          baseVersion: null,
          yaml: paymentsPolicy("new-stripe", egressTo("dns: api.stripe.com")),
          message: "",
        })
      ).created,
    ).toBe(true);
  });

  it("keeps one name space for policies and constraints, in the service and in the database", async () => {
    const security = await callerFor(db(), SECURITY);
    const constraint = (name: string) =>
      documentToYaml({
        apiVersion: "policyplane.io/v1",
        kind: "ComplianceConstraint",
        metadata: { name, owner: "security-committee" },
        spec: {
          subject: { namespaceSelector: { matchLabels: { pci: "true" } } },
          direction: "egress",
          peers: [{ entity: "world" }],
          rationale: "PCI DSS 1.3.4",
        },
      });
    const before = await counts();
    const error = await failure(
      security.policies.saveDraft({ policyName: null, baseVersion: null, yaml: constraint("payments-db"), message: "" }),
    );
    expect((error.cause as InvalidInput).field).toBe("metadata.name");
    expect(error.message).toMatch(/a policy named payments-db already exists/);
    expect(await counts()).toEqual(refused(before));
    // A writer that skipped that check (or raced it) is stopped by the unique index on the name alone.
    const [policy] = await db().select().from(policies).where(eq(policies.name, "payments-db"));
    const duplicate = await db()
      .insert(policies)
      .values({ ...policy!, id: undefined, kind: "ComplianceConstraint", tier: "global", tenantId: null })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(isUniqueViolation(duplicate)).toBe(true);
  });

  it("saves a policy whose selector matches nothing, and the analysis shows the lint warning", async () => {
    const author = await callerFor(db(), AUTHOR);
    const yaml = paymentsPolicy("payments-ghost", egressTo("dns: api.stripe.com")).replace("app: payments-api", "app: no-such-app");
    const analysis = await author.policies.analyse({ yaml });
    expect(analysis.errors).toEqual([]);
    expect(analysis.matches).toEqual([]);
    const noMatch = analysis.findings.find((f) => f.id === "no-match");
    expect(noMatch).toMatchObject({ severity: "warning" });
    expect(noMatch!.line).toBeGreaterThan(0);
    expect((await author.policies.saveDraft({ policyName: null, baseVersion: null, yaml, message: "" })).created).toBe(true);
  });

  it("analyses a draft: matched workloads in every cluster and the compiled NetworkPolicy", async () => {
    const viewer = await callerFor(db(), VIEWER);
    const analysis = await viewer.policies.analyse({
      yaml: paymentsPolicy("payments-to-ledger", egressTo("service: payments/ledger", "")),
      cluster: "prod-eu-1",
    });
    expect(analysis.errors).toEqual([]);
    expect(new Set(analysis.matches.map((m) => `${m.cluster}:${m.namespace}/${m.name}`))).toEqual(
      new Set(["prod-eu-1:payments/payments-api", "prod-us-1:payments/payments-api", "staging-eu-1:payments/payments-api"]),
    );
    const np = analysis.compiled!.groups.find((g) => g.group === "NetworkPolicy")!;
    expect(np.objects).toHaveLength(1);
    expect(np.objects[0]).toMatchObject({ kind: "NetworkPolicy", metadata: { namespace: "payments" } });
  });

  it("keeps authorisation on the server: viewers, other tenants and admin tiers are refused, nothing written but the refusals", async () => {
    const viewer = await callerFor(db(), VIEWER);
    const author = await callerFor(db(), AUTHOR);
    const before = await counts();
    const yaml = paymentsPolicy("payments-viewer-try", egressTo("dns: api.stripe.com"));
    expect((await failure(viewer.policies.saveDraft({ policyName: null, baseVersion: null, yaml, message: "" }))).code).toBe("FORBIDDEN");
    const checkout = yaml.replace("tenant: payments", "tenant: checkout").replace("namespaces: [payments]", "namespaces: [checkout]");
    expect((await failure(author.policies.saveDraft({ policyName: null, baseVersion: null, yaml: checkout, message: "" }))).code).toBe(
      "FORBIDDEN",
    );
    const global = yaml.replace("tier: namespace", "tier: global").replace("action: allow", "action: deny");
    expect((await failure(author.policies.saveDraft({ policyName: null, baseVersion: null, yaml: global, message: "" }))).code).toBe(
      "FORBIDDEN",
    );
    const current = (await author.policies.get({ name: "global-allow-dns" })).versions[0]!.yaml;
    expect(
      (
        await failure(
          author.policies.saveDraft({
            policyName: "global-allow-dns",
            baseVersion: 1,
            yaml: current.replace("priority: 10", "priority: 11"),
            message: "",
          }),
        )
      ).code,
    ).toBe("FORBIDDEN");
    expect((await failure(author.policies.restoreVersion({ policyName: "global-allow-dns", version: 1 }))).code).toBe("FORBIDDEN");
    expect((await failure(viewer.policies.proposeChange({ title: "x", description: "", policies: ["payments-api"] }))).code).toBe(
      "FORBIDDEN",
    );
    expect(await counts()).toEqual(refused(before, 6));
    // The committee may draft the global tier.
    const security = await callerFor(db(), SECURITY);
    expect(
      (
        await security.policies.saveDraft({
          policyName: "global-allow-dns",
          baseVersion: 1,
          yaml: current.replace("priority: 10", "priority: 11"),
          message: "reorder",
        })
      ).version,
    ).toBe(2);
  });

  it("refuses to save over a newer version than the editor started from", async () => {
    const author = await callerFor(db(), AUTHOR);
    const current = (await author.policies.get({ name: "payments-db" })).versions[0]!.yaml;
    await author.policies.saveDraft({
      policyName: "payments-db",
      baseVersion: 1,
      yaml: current.replace("The payments database", "The payments DB"),
      message: "",
    });
    const error = await failure(
      author.policies.saveDraft({
        policyName: "payments-db",
        baseVersion: 1,
        yaml: current.replace("The payments database", "Payments database"),
        message: "",
      }),
    );
    expect(error.code).toBe("CONFLICT");
  });

  it("serialises concurrent saves of one policy: one writes the next version, the others are told a newer version exists", async () => {
    // On PGlite (one connection) the transactions run one after another anyway, so this proves the outcome
    // only; the PostgreSQL-only test below proves that the row lock is what orders them there.
    const author = await callerFor(db(), AUTHOR);
    const current = await author.policies.get({ name: "psp-egress" });
    const base = current.versions.at(-1)!;
    const before = await counts();
    const results = await Promise.allSettled(
      [1, 2, 3].map((n) =>
        author.policies.saveDraft({
          policyName: "psp-egress",
          baseVersion: base.version,
          yaml: base.yaml.replace(/description: .*/, `description: concurrent edit ${n}`),
          message: `edit ${n}`,
        }),
      ),
    );
    const saved = results.filter((r) => r.status === "fulfilled");
    expect(saved).toHaveLength(1);
    expect(saved[0]!.value).toMatchObject({ version: base.version + 1, created: true });
    for (const r of results.filter((r) => r.status === "rejected")) {
      expect(r.reason).toBeInstanceOf(TRPCError);
      expect((r.reason as TRPCError).cause).toBeInstanceOf(Conflict);
      expect((r.reason as TRPCError).message).toMatch(`version ${base.version + 1} is newer than your version ${base.version}`);
    }
    // The saved version's event and the two losers' refusals.
    expect(await counts()).toEqual({ ...before, versions: before.versions + 1, audit: before.audit + 3 });
  });

  it.skipIf(testDatabaseKind() !== "postgres")(
    "makes a save wait for the policy row while another transaction holds it (PostgreSQL)",
    async () => {
      const author = await callerFor(db(), AUTHOR);
      const base = (await author.policies.get({ name: "payments-batch" })).versions.at(-1)!;
      let locked!: () => void;
      let release!: () => void;
      const holding = new Promise<void>((r) => (locked = r));
      const released = new Promise<void>((r) => (release = r));
      const holder = db().transaction(async (tx) => {
        await tx.select().from(policies).where(eq(policies.name, "payments-batch")).for("update");
        locked();
        await released;
      });
      await holding;
      const saves = [1, 2].map((n) =>
        author.policies.saveDraft({
          policyName: "payments-batch",
          baseVersion: base.version,
          yaml: base.yaml.replace(/description: .*/, `description: held edit ${n}`),
          message: "",
        }),
      );
      // Observed at once: the losing save can be refused while the test still awaits the holder (an unhandled rejection otherwise).
      const settled = Promise.allSettled(saves);
      // Both saves are inside their transactions, waiting for a lock, before the holder lets go. Without the row
      // lock they would both have read the same latest version by then, and the second would hit the unique index.
      await lockWaiters(2);
      release();
      await holder;
      const results = await settled;
      expect(results.filter((r) => r.status === "fulfilled").map((r) => r.value.version)).toEqual([base.version + 1]);
      const refused = results.find((r) => r.status === "rejected")!;
      expect((refused.reason as TRPCError).cause).toBeInstanceOf(Conflict);
    },
  );

  it("rolls the draft back when its audit event cannot be written (same transaction)", async () => {
    const author = await callerFor(db(), AUTHOR);
    await db().execute(
      sql.raw(
        `CREATE OR REPLACE FUNCTION test_refuse_audit() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'audit refused by test'; END; $$ LANGUAGE plpgsql`,
      ),
    );
    await db().execute(
      sql.raw(`CREATE TRIGGER test_refuse_audit BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION test_refuse_audit()`),
    );
    const quiet = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const before = await counts();
      const error = await failure(
        author.policies.saveDraft({
          policyName: null,
          baseVersion: null,
          yaml: paymentsPolicy("payments-audit-fail", egressTo("dns: api.stripe.com")),
          message: "",
        }),
      );
      expect(error.code).toBe("INTERNAL_SERVER_ERROR");
      expect(await counts()).toEqual(before);
    } finally {
      await db().execute(sql.raw(`DROP TRIGGER test_refuse_audit ON audit_events`));
      quiet.mockRestore();
    }
  });

  it("restores an old version as a new draft without touching the release", async () => {
    const author = await callerFor(db(), AUTHOR);
    const v1 = (await author.policies.get({ name: "payments-api" })).versions[0]!;
    await author.policies.saveDraft({
      policyName: "payments-api",
      baseVersion: 1,
      yaml: v1.yaml.replace("name: to-auth", "name: to-identity"),
      message: "rename rule",
    });
    const restored = await author.policies.restoreVersion({ policyName: "payments-api", version: 1 });
    expect(restored).toMatchObject({ version: 3, created: true });
    const after = await author.policies.get({ name: "payments-api" });
    expect(after.policy).toMatchObject({ releasedVersion: 1, latestVersion: 3 });
    expect(after.versions.map((v) => v.state)).toEqual(["released", "draft", "draft"]);
    expect(after.versions[2]!.yaml).toBe(v1.yaml);
    expect(after.versions[2]!.message).toBe("Restored version 1");
  });

  it("creates a draft from a template, with parameter errors named by parameter", async () => {
    const author = await callerFor(db(), AUTHOR);
    const templates = await author.policies.templates();
    expect(templates.map((t) => t.id)).toEqual(
      expect.arrayContaining([
        "tenant-east-west-isolation",
        "ingress-from-ingress-controller",
        "egress-to-critical-service",
        "dns-to-kube-dns",
        "namespace-default-deny",
        "internet-egress-via-gateway",
      ]),
    );
    const before = await counts();
    const bad = await failure(
      author.policies.createFromTemplate({ template: "tenant-east-west-isolation", values: { tenant: "nosuchtenant" } }),
    );
    expect(bad.code).toBe("BAD_REQUEST");
    expect((bad.cause as InvalidInput).field).toBe("values.tenant");
    expect(await counts()).toEqual(refused(before));
    const created = await author.policies.createFromTemplate({ template: "tenant-east-west-isolation", values: { tenant: "payments" } });
    expect(created).toMatchObject({ name: "payments-east-west-isolation", version: 1, created: true });
    const viewer = await callerFor(db(), VIEWER);
    expect(
      (
        await failure(
          viewer.policies.createFromTemplate({ template: "tenant-east-west-isolation", values: { tenant: "payments", name: "x" } }),
        )
      ).code,
    ).toBe("FORBIDDEN");
  });

  it("previews a template: its name, the constraints it would break, and a gateway the constraints allow in place of the default", async () => {
    const author = await callerFor(db(), AUTHOR);
    const values = {
      tenant: "payments",
      namespace: "payments",
      app: "psp-adapter",
      hosts: ["api.stripe.com"],
      gateway: "istio-egressgateway",
      port: 443,
    };
    const before = await counts();
    // The default gateway breaks the PCI constraint for a payments application; the PCI gateway does not.
    const preview = await author.policies.templatePreview({ template: "internet-egress-via-gateway", values });
    expect(preview).toMatchObject({ name: "psp-adapter-internet-egress", problem: null, suggestions: { gateway: "pci-egress" } });
    expect(preview.conflicts.join("\n")).toContain("pci-egress-through-gateway");
    expect(
      await author.policies.templatePreview({ template: "internet-egress-via-gateway", values: { ...values, gateway: "pci-egress" } }),
    ).toMatchObject({ conflicts: [], suggestions: {} });
    // A gateway the person chose is not second-guessed, and incomplete values say what is missing where.
    expect(
      (await author.policies.templatePreview({ template: "internet-egress-via-gateway", values: { ...values, gateway: "my-gateway" } }))
        .suggestions,
    ).toEqual({});
    expect(
      await author.policies.templatePreview({ template: "internet-egress-via-gateway", values: { tenant: "payments" } }),
    ).toMatchObject({ name: null, problem: { field: "values.namespace" } });
    expect(await counts()).toEqual(before);
    // The name is the author's to choose, and validated like any policy name.
    const named = await author.policies.createFromTemplate({
      template: "internet-egress-via-gateway",
      values: { ...values, gateway: "pci-egress" },
      name: "psp-adapter-to-processors",
    });
    expect(named).toMatchObject({ name: "psp-adapter-to-processors", version: 1 });
    const badName = await failure(
      author.policies.createFromTemplate({
        template: "internet-egress-via-gateway",
        values: { ...values, gateway: "pci-egress" },
        name: "Bad_Name",
      }),
    );
    expect(badName.code).toBe("BAD_REQUEST");
    expect((badName.cause as InvalidInput).field).toBe("name");
  });

  it("proposes drafted policies as a change request with from/to versions, a content hash and its audit event", async () => {
    const author = await callerFor(db(), AUTHOR);
    const drafts = await author.policies.drafts();
    expect(drafts.map((d) => d.name)).toEqual(expect.arrayContaining(["payments-api", "payments-to-stripe"]));
    expect(drafts.map((d) => d.name)).not.toContain("global-allow-dns");
    const before = await counts();
    const noDraft = await failure(author.policies.proposeChange({ title: "nothing", description: "", policies: ["payments-backends"] }));
    expect(noDraft.code).toBe("BAD_REQUEST");
    expect(await counts()).toEqual(refused(before));

    const cr = await author.policies.proposeChange({
      title: "Stripe and API cleanup",
      description: "why",
      policies: ["payments-to-stripe", "payments-api"],
    });
    const items = await db().select().from(changeRequestItems).where(eq(changeRequestItems.changeRequestId, cr.id));
    expect(items.map((i) => [i.fromVersion, i.toVersion]).sort()).toEqual(
      [
        [1, 3],
        [null, 1],
      ].sort(),
    );
    const [event] = await db()
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, "change.proposed"), eq(auditEvents.targetId, cr.id)));
    expect(event).toBeDefined();
    expect((await failure(author.policies.proposeChange({ title: "again", description: "", policies: ["payments-api"] }))).code).toBe(
      "CONFLICT",
    );

    const viewer = await callerFor(db(), VIEWER);
    const listed = (await viewer.changes.list()).find((c) => c.number === cr.number)!;
    expect(listed).toMatchObject({ title: "Stripe and API cleanup", state: "in-review", authorLabel: AUTHOR, tenant: "payments" });
    const detail = await viewer.changes.get({ number: cr.number });
    const stripe = detail.items.find((i) => i.name === "payments-to-stripe")!;
    expect(stripe.fromYaml).toBe("");
    expect(stripe.toYaml).toContain("dns: api.stripe.com");
    const api = detail.items.find((i) => i.name === "payments-api")!;
    expect(api.fromYaml).toContain("name: to-auth");
    expect(api.toYaml).toContain("name: to-auth");
    expect(detail.contentHash).toMatch(/^[0-9a-f]{64}$/);
  });
  it("shows a change request only to someone who may read every policy in it", async () => {
    const security = await callerFor(db(), SECURITY);
    const edit = async (name: string) => {
      const current = await security.policies.get({ name });
      const latest = current.versions[current.versions.length - 1]!;
      const document = parseYaml(latest.yaml) as { metadata: Record<string, unknown> };
      const yaml = documentToYaml({ ...document, metadata: { ...document.metadata, description: "tightened" } });
      await security.policies.saveDraft({ policyName: name, baseVersion: latest.version, yaml, message: "tighten" });
    };
    await edit("cart-redis");
    await edit("payments-db");
    const both = await security.policies.proposeChange({
      title: "Across tenants",
      description: "",
      policies: ["cart-redis", "payments-db"],
    });

    // Someone who can read the payments tenant only.
    const admin = await callerFor(db(), "alex.admin@acme.example");
    const { id: userId } = await admin.settings.createUser({
      name: "Pay Viewer",
      email: "pay.viewer@acme.example",
      password: "a-good-password",
    });
    const tenants = await admin.org.tenants();
    await admin.settings.addMembership({
      userId,
      tenantId: tenants.find((t) => t.name === "payments")!.id,
      role: "viewer",
      committeeFunction: null,
    });
    const payViewer = await callerFor(db(), "pay.viewer@acme.example");

    expect((await payViewer.changes.list()).map((c) => c.number)).not.toContain(both.number);
    expect((await failure(payViewer.changes.get({ number: both.number }))).code).toBe("NOT_FOUND");
    expect((await security.changes.list()).map((c) => c.number)).toContain(both.number);
  });

  /** A new draft of `name` by the security approver: its version number. */
  async function draftBySecurity(name: string, description: string): Promise<number> {
    const security = await callerFor(db(), SECURITY);
    const latest = (await security.policies.get({ name })).versions.at(-1)!;
    const document = parseYaml(latest.yaml) as { metadata: Record<string, unknown> };
    const saved = await security.policies.saveDraft({
      policyName: name,
      baseVersion: latest.version,
      yaml: documentToYaml({ ...document, metadata: { ...document.metadata, description } }),
      message: "",
    });
    return saved.version;
  }

  it("refuses one drafted version in two open change requests at the database, and frees it when the request closes", async () => {
    const version = await draftBySecurity("catalog-api", "constraint test");
    const security = await callerFor(db(), SECURITY);
    const first = await security.policies.proposeChange({ title: "Catalog API", description: "", policies: ["catalog-api"] });
    const [policy] = await db().select().from(policies).where(eq(policies.name, "catalog-api"));
    const [second] = await db()
      .insert(changeRequests)
      .values({ title: "sneaked past the service", authorLabel: SECURITY, contentHash: "x" })
      .returning();
    const duplicate = db()
      .insert(changeRequestItems)
      .values({ changeRequestId: second!.id, policyId: policy!.id, fromVersion: 1, toVersion: version });
    expect(
      isUniqueViolation(
        await duplicate.then(
          () => null,
          (error: unknown) => error,
        ),
      ),
    ).toBe(true);
    // Closing the first request carries its state to its items, so the version may be proposed again.
    await db().update(changeRequests).set({ state: "withdrawn" }).where(eq(changeRequests.id, first.id));
    expect(
      (await db().select().from(changeRequestItems).where(eq(changeRequestItems.changeRequestId, first.id))).map((i) => i.state),
    ).toEqual(["withdrawn"]);
    await db().insert(changeRequestItems).values({ changeRequestId: second!.id, policyId: policy!.id, fromVersion: 1, toVersion: version });
  });

  it("lets exactly one of two simultaneous proposals of the same draft through, and tells the other it lost (CONFLICT)", async () => {
    await draftBySecurity("search", "race test");
    const security = await callerFor(db(), SECURITY);
    // On PostgreSQL, hold writes to the items until both proposals have passed their duplicate check, so
    // they really race (without the unique index both would succeed). PGlite runs them one after another.
    let release = () => {};
    let holder: Promise<void> = Promise.resolve();
    if (testDatabaseKind() === "postgres") {
      let locked!: () => void;
      const holding = new Promise<void>((r) => (locked = r));
      const released = new Promise<void>((r) => (release = r));
      holder = db().transaction(async (tx) => {
        await tx.execute(sql`LOCK TABLE change_request_items IN SHARE MODE`);
        locked();
        await released;
      });
      await holding;
    }
    const before = await counts();
    const proposals = [1, 2].map((n) => security.policies.proposeChange({ title: `Search ${n}`, description: "", policies: ["search"] }));
    if (testDatabaseKind() === "postgres") await lockWaiters(2);
    release();
    await holder;
    const results = await Promise.allSettled(proposals);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const lost = results.find((r) => r.status === "rejected")!;
    expect((lost.reason as TRPCError).code).toBe("CONFLICT");
    expect((lost.reason as TRPCError).message).toMatch(/search/);
    // The change request and the loser's refusal.
    expect(await counts()).toEqual({ ...before, changes: before.changes + 1, audit: before.audit + 2 });
  });
});
