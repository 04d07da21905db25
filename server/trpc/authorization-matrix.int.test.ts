// The authorisation matrix: every tRPC procedure, called as every kind of person,
// is allowed or refused as its row says, and nothing another tenant owns (its
// policies' names, its workloads) comes back to someone scoped to one tenant.
import { and, eq, isNotNull, ne } from "drizzle-orm";
import { parseNodeId } from "@/lib/graph/ids";
import { beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/db/client";
import { memberships, namespaces, policies, services, tenants, workloads } from "@/db/schema";
import { testDatabaseKind } from "@/db/testing";
import { appRouter } from "@/server/trpc/root";
import { callerFor } from "@/server/testing/actors";
import { useSeededDatabase } from "@/server/testing/database";
import { insertPasswordUser } from "@/server/users/credentials";

type Person = "admin" | "global auditor" | "tenant author" | "tenant approver" | "tenant viewer" | "no role" | "anonymous";
const PEOPLE: Person[] = ["admin", "global auditor", "tenant author", "tenant approver", "tenant viewer", "no role", "anonymous"];
const SCOPED: Person[] = ["tenant author", "tenant approver", "tenant viewer"];
const EMAIL: Record<Exclude<Person, "anonymous">, string> = {
  admin: "alex.admin@acme.example",
  "global auditor": "avery.audit@acme.example",
  "tenant author": "only.payments.author@acme.example",
  "tenant approver": "only.payments.approver@acme.example",
  "tenant viewer": "only.payments.viewer@acme.example",
  "no role": "no.role@acme.example",
};

/** Who gets past authorisation: every role holder, those who can draft, admins, anyone signed in, or anyone at all. */
type Rule = "role" | "author" | "organisation" | "admin" | "session" | "public";
const allowedBy: Record<Rule, Person[]> = {
  public: PEOPLE,
  organisation: ["admin", "global auditor"],
  session: ["admin", "global auditor", "tenant author", "tenant approver", "tenant viewer", "no role"],
  role: ["admin", "global auditor", "tenant author", "tenant approver", "tenant viewer"],
  author: ["admin", "tenant author", "tenant approver"],
  admin: ["admin"],
};

interface Fixture {
  cluster: string;
  ownPolicy: { name: string; yaml: string };
  ownNamespaceNode: string;
  ownWorkloadNode: string;
  ownEdge: string;
  otherWorkloadNode: string;
  otherPolicyNames: string[];
  otherWorkloadNames: string[];
  throwawayUserId: () => Promise<string>;
}

type Call = (caller: Awaited<ReturnType<typeof callerFor>>, f: Fixture) => Promise<unknown>;
interface Row {
  rule: Rule;
  call: Call;
  /** Mutations may also answer a domain refusal (a conflict, a missing thing) once past authorisation. */
  mutation?: true;
}

let unique = 0;
const NO_SUCH_ID = "00000000-0000-4000-8000-000000000000";
const MATRIX: Record<string, Row> = {
  // Anyone holding a one-time link; a wrong token is a BAD_REQUEST for everyone.
  "account.setPassword": {
    rule: "public",
    mutation: true,
    call: (c) => c.account.setPassword({ token: "not-a-real-token-000000", password: "a-good-password" }),
  },
  "org.me": { rule: "session", call: (c) => c.org.me() },
  "org.tenants": { rule: "role", call: (c) => c.org.tenants() },
  "org.clusters": { rule: "role", call: (c) => c.org.clusters() },
  "overview.counts": { rule: "role", call: (c) => c.overview.counts() },
  "overview.committee": { rule: "role", call: (c) => c.overview.committee() },
  "audit.list": { rule: "role", call: (c) => c.audit.list({}) },
  "violations.dashboard": { rule: "role", call: (c) => c.violations.dashboard({ range: "24h" }) },
  "violations.observedDenials": { rule: "role", call: (c) => c.violations.observedDenials({ cluster: "prod-eu-1" }) },
  // No flows were ingested here: past authorisation the answer is "no such flows".
  "violations.path": {
    rule: "role",
    call: (c) =>
      c.violations
        .path({
          range: "24h",
          cluster: "prod-eu-1",
          source: "payments/payments-api",
          destination: "payments/ledger",
          port: 9090,
          protocol: "TCP",
          flowClass: "violation",
        })
        .catch((e: { code?: string }) => {
          if (e.code === "NOT_FOUND") return null;
          throw e;
        }),
  },
  // The chain's counts and head hash are organisation-wide.
  "audit.verify": { rule: "organisation", call: (c) => c.audit.verify() },
  "audit.checkpoint": { rule: "admin", mutation: true, call: (c) => c.audit.checkpoint() },
  "audit.verifyAll": { rule: "organisation", mutation: true, call: (c) => c.audit.verifyAll() },
  // Everyone with a role has their own notifications; each marks only their own.
  "notifications.mine": { rule: "role", call: (c) => c.notifications.mine() },
  "notifications.markRead": { rule: "role", mutation: true, call: (c) => c.notifications.markRead({}) },
  "webhooks.get": { rule: "admin", call: (c) => c.webhooks.get() },
  "webhooks.deliveries": { rule: "admin", call: (c) => c.webhooks.deliveries() },
  // Refused before its input is read, unless by an admin (who gets the input's 400 here).
  "webhooks.update": { rule: "admin", mutation: true, call: (c) => c.webhooks.update({} as never) },
  "webhooks.sendTest": { rule: "admin", mutation: true, call: (c) => c.webhooks.sendTest() },
  "settings.users": { rule: "admin", call: (c) => c.settings.users() },
  "settings.tokens": { rule: "admin", call: (c) => c.settings.tokens() },
  "settings.platformDefault": { rule: "role", call: (c) => c.settings.platformDefault() },
  // Refused before its input is read, unless by an admin (who gets the input's 400 here).
  "settings.proposePlatformDefault": { rule: "admin", mutation: true, call: (c) => c.settings.proposePlatformDefault({} as never) },
  "settings.createUser": {
    rule: "admin",
    mutation: true,
    call: (c) => c.settings.createUser({ name: "Made", email: `made-${++unique}@acme.example`, password: "a-good-password" }),
  },
  "settings.deleteUser": {
    rule: "admin",
    mutation: true,
    call: async (c, f) => c.settings.deleteUser({ userId: await f.throwawayUserId() }),
  },
  "settings.addMembership": {
    rule: "admin",
    mutation: true,
    call: async (c, f) =>
      c.settings.addMembership({ userId: await f.throwawayUserId(), tenantId: null, role: "viewer", committeeFunction: null }),
  },
  "settings.removeMembership": {
    rule: "admin",
    mutation: true,
    call: async (c, f) => {
      const admin = await callerFor(database().db, EMAIL.admin);
      const { id } = await admin.settings.addMembership({
        userId: await f.throwawayUserId(),
        tenantId: null,
        role: "viewer",
        committeeFunction: null,
      });
      return c.settings.removeMembership({ membershipId: id });
    },
  },
  "settings.createToken": {
    rule: "admin",
    mutation: true,
    call: (c) => c.settings.createToken({ name: `ci-${++unique}`, role: "viewer", tenantId: null, scopes: ["decide"], expiresInDays: 1 }),
  },
  "settings.revokeToken": {
    rule: "admin",
    mutation: true,
    call: async (c) => {
      const admin = await callerFor(database().db, EMAIL.admin);
      const created = await admin.settings.createToken({
        name: `revoke-${++unique}`,
        role: "viewer",
        tenantId: null,
        scopes: ["decide"],
        expiresInDays: 1,
      });
      return c.settings.revokeToken({ tokenId: created.id });
    },
  },
  "settings.rotateToken": {
    rule: "admin",
    mutation: true,
    call: async (c) => {
      const admin = await callerFor(database().db, EMAIL.admin);
      const created = await admin.settings.createToken({ name: `rotate-${++unique}`, role: "viewer", tenantId: null, scopes: ["decide"] });
      return c.settings.rotateToken({ tokenId: created.id, graceHours: 1 });
    },
  },
  "settings.tokenSettings": { rule: "admin", call: (c) => c.settings.tokenSettings() },
  // Refused before its input is read, unless by an admin (who gets the input's 400 here).
  "settings.updateTokenSettings": { rule: "admin", mutation: true, call: (c) => c.settings.updateTokenSettings({} as never) },
  "graph.view": { rule: "role", call: (c, f) => c.graph.view({ cluster: f.cluster }) },
  "graph.group": { rule: "role", call: (c, f) => c.graph.group({ cluster: f.cluster, group: f.ownNamespaceNode }) },
  "graph.edge": { rule: "role", call: (c, f) => c.graph.edge({ cluster: f.cluster, edge: f.ownEdge }) },
  "graph.node": { rule: "role", call: (c, f) => c.graph.node({ cluster: f.cluster, node: f.ownWorkloadNode }) },
  "graph.whatIf": {
    rule: "role",
    call: (c, f) => {
      const own = parseNodeId(f.ownWorkloadNode)!;
      return c.graph.whatIf({
        cluster: f.cluster,
        overlay: "drafts",
        from: `${own.namespace}/${own.name}`,
        to: `${own.namespace}/${own.name}`,
        port: 8080,
      });
    },
  },
  "policies.list": { rule: "role", call: (c) => c.policies.list({}) },
  "policies.get": { rule: "role", call: (c, f) => c.policies.get({ name: f.ownPolicy.name }) },
  "policies.inventory": { rule: "role", call: (c) => c.policies.inventory() },
  "policies.analyse": { rule: "role", call: (c, f) => c.policies.analyse({ yaml: f.ownPolicy.yaml }) },
  "policies.templates": { rule: "role", call: (c) => c.policies.templates() },
  "policies.templatePreview": {
    rule: "role",
    call: (c) => c.policies.templatePreview({ template: "namespace-default-deny", values: { tenant: "payments", namespace: "payments" } }),
  },
  "policies.drafts": { rule: "role", call: (c) => c.policies.drafts() },
  "policies.saveDraft": {
    rule: "author",
    mutation: true,
    call: (c, f) => c.policies.saveDraft({ policyName: f.ownPolicy.name, baseVersion: null, yaml: f.ownPolicy.yaml, message: "matrix" }),
  },
  "policies.restoreVersion": {
    rule: "author",
    mutation: true,
    call: (c, f) => c.policies.restoreVersion({ policyName: f.ownPolicy.name, version: 1 }),
  },
  "policies.createFromTemplate": {
    rule: "author",
    mutation: true,
    call: (c) => c.policies.createFromTemplate({ template: "no-such-template", values: {} }),
  },
  "policies.proposeChange": {
    rule: "author",
    mutation: true,
    call: (c, f) => c.policies.proposeChange({ title: "matrix", description: "", policies: [f.ownPolicy.name] }),
  },
  "changes.list": { rule: "role", call: (c) => c.changes.list() },
  "changes.get": { rule: "role", mutation: true, call: (c) => c.changes.get({ number: 1 }) },
  "changes.impact": { rule: "role", mutation: true, call: (c) => c.changes.impact({ number: 999_999 }) },
  "changes.compiledDiff": { rule: "role", mutation: true, call: (c) => c.changes.compiledDiff({ number: 999_999 }) },
  // The workflow: reading is for every role holder; deciding needs a committee function the change asks for (a
  // refusal past that gate is a domain FORBIDDEN, so these rows call a change that does not exist: NOT_FOUND for
  // everyone signed in with a role). Who may approve what is in server/workflow/workflow.int.test.ts.
  "workflow.review": { rule: "role", mutation: true, call: (c) => c.workflow.review({ number: 999_999 }) },
  "workflow.approve": {
    rule: "role",
    mutation: true,
    call: (c) => c.workflow.approve({ number: 999_999, contentHash: "0".repeat(64), comment: "" }),
  },
  "workflow.requestChanges": {
    rule: "role",
    mutation: true,
    call: (c) => c.workflow.requestChanges({ number: 999_999, reason: "matrix" }),
  },
  "workflow.reject": { rule: "role", mutation: true, call: (c) => c.workflow.reject({ number: 999_999, reason: "matrix" }) },
  "workflow.withdraw": { rule: "role", mutation: true, call: (c) => c.workflow.withdraw({ number: 999_999, reason: "" }) },
  "workflow.submit": { rule: "role", mutation: true, call: (c) => c.workflow.submit({ number: 999_999, reason: "" }) },
  "workflow.edit": { rule: "role", mutation: true, call: (c) => c.workflow.edit({ number: 999_999, contentHash: "0".repeat(64) }) },
  "workflow.rebasePlan": { rule: "role", mutation: true, call: (c) => c.workflow.rebasePlan({ number: 999_999 }) },
  "workflow.rebase": { rule: "role", mutation: true, call: (c) => c.workflow.rebase({ number: 999_999, contentHash: "0".repeat(64) }) },
  // Releasing is for admins, refused before the change is even looked up.
  "workflow.setStaged": {
    rule: "role",
    mutation: true,
    call: (c) => c.workflow.setStaged({ number: 999_999, contentHash: "0".repeat(64), staged: true }),
  },
  "workflow.promote": { rule: "author", mutation: true, call: (c) => c.workflow.promote({ number: 999_999 }) },
  "workflow.release": { rule: "admin", mutation: true, call: (c) => c.workflow.release({ number: 999_999 }) },
  // Approval rules: read by every role holder, written and previewed by admins (the admin's call
  // names a rule that does not exist, or previews a described change).
  "approvalRules.list": { rule: "role", call: (c) => c.approvalRules.list() },
  "approvalRules.preview": { rule: "admin", call: (c) => c.approvalRules.preview({ change: { tier: "global" } }) },
  "approvalRules.create": {
    rule: "admin",
    mutation: true,
    call: (c) =>
      c.approvalRules.create({
        key: `matrix-${++unique}`,
        match: { tiers: ["cluster"] },
        requirements: [{ function: "platform", count: 1, scope: "organisation" }],
        enabled: false,
      }),
  },
  "approvalRules.update": {
    rule: "admin",
    mutation: true,
    call: (c) =>
      c.approvalRules.update({
        id: "00000000-0000-4000-8000-000000000000",
        expectedVersion: 1,
        key: "matrix",
        match: { tiers: ["cluster"] },
        requirements: [{ function: "platform", count: 1, scope: "organisation" }],
      }),
  },
  "approvalRules.setEnabled": {
    rule: "admin",
    mutation: true,
    call: (c) => c.approvalRules.setEnabled({ id: "00000000-0000-4000-8000-000000000000", enabled: false, expectedVersion: 1 }),
  },
  "approvalRules.delete": {
    rule: "admin",
    mutation: true,
    call: (c) => c.approvalRules.delete({ id: "00000000-0000-4000-8000-000000000000", expectedVersion: 1 }),
  },
  // Reviews: the queue is every role holder's own (empty without a committee function); comments and the
  // timeline are for whoever may read the change (a change that does not exist: NOT_FOUND for all).
  "reviews.queue": { rule: "role", call: (c) => c.reviews.queue() },
  "reviews.timeline": { rule: "role", mutation: true, call: (c) => c.reviews.timeline({ number: 999_999 }) },
  "reviews.comments": { rule: "role", mutation: true, call: (c) => c.reviews.comments({ number: 999_999 }) },
  "reviews.comment": { rule: "role", mutation: true, call: (c) => c.reviews.comment({ number: 999_999, body: "matrix" }) },
  // Simulator: every role holder lists and reads datasets and runs, uploads and starts runs; the uploader
  // (starter) or an admin deletes (cancels). Unknown ids: NOT_FOUND for all.
  "simulator.datasets": { rule: "role", call: (c) => c.simulator.datasets() },
  "simulator.dataset": { rule: "role", mutation: true, call: (c) => c.simulator.dataset({ id: NO_SUCH_ID }) },
  "simulator.deleteDataset": { rule: "role", mutation: true, call: (c) => c.simulator.deleteDataset({ id: NO_SUCH_ID }) },
  "simulator.startRun": {
    rule: "role",
    mutation: true,
    call: (c) => c.simulator.startRun({ datasetId: NO_SUCH_ID, changeNumber: null }),
  },
  "simulator.cancelRun": { rule: "role", mutation: true, call: (c) => c.simulator.cancelRun({ id: NO_SUCH_ID }) },
  "simulator.runs": { rule: "role", call: (c) => c.simulator.runs() },
  "simulator.run": { rule: "role", mutation: true, call: (c) => c.simulator.run({ id: NO_SUCH_ID }) },
  "simulator.runPaths": { rule: "role", mutation: true, call: (c) => c.simulator.runPaths({ id: NO_SUCH_ID }) },
  "simulator.runOverlay": {
    rule: "role",
    mutation: true,
    call: (c) => c.simulator.runOverlay({ id: NO_SUCH_ID, cluster: "all" }),
  },
  "simulator.runSamples": {
    rule: "role",
    mutation: true,
    call: (c) => c.simulator.runSamples({ id: NO_SUCH_ID, pathId: NO_SUCH_ID }),
  },
  "simulator.changeRun": { rule: "role", mutation: true, call: (c) => c.simulator.changeRun({ number: 999_999 }) },
  "releases.list": { rule: "role", call: (c) => c.releases.list() },
  "releases.get": { rule: "role", mutation: true, call: (c) => c.releases.get({ number: 999_999 }) },
  "releases.diff": { rule: "role", mutation: true, call: (c) => c.releases.diff({ from: 999_998, to: 999_999 }) },
  "releases.freezes": { rule: "role", call: (c) => c.releases.freezes() },
  // A freeze in the past changes nothing; ending an unknown one is NOT_FOUND for the admin.
  "releases.createFreeze": {
    rule: "admin",
    mutation: true,
    call: (c) =>
      c.releases.createFreeze({
        environment: "development",
        startsAt: new Date(Date.now() - 7_200_000),
        endsAt: new Date(Date.now() - 3_600_000),
        reason: "matrix test",
      }),
  },
  "releases.endFreeze": {
    rule: "admin",
    mutation: true,
    call: (c) => c.releases.endFreeze({ id: "00000000-0000-4000-8000-000000000000" }),
  },
  // Rollouts and rollbacks are an admin's; acknowledging an emergency review an organisation-wide approver's (admins rank above).
  "releases.staged": { rule: "role", mutation: true, call: (c) => c.releases.staged({ number: 999_999 }) },
  "releases.rollout": { rule: "role", mutation: true, call: (c) => c.releases.rollout({ number: 999_999 }) },
  "releases.rolloutNextWave": { rule: "admin", mutation: true, call: (c) => c.releases.rolloutNextWave({ number: 999_999 }) },
  "releases.pauseRollout": { rule: "admin", mutation: true, call: (c) => c.releases.pauseRollout({ number: 999_999 }) },
  "releases.resumeRollout": { rule: "admin", mutation: true, call: (c) => c.releases.resumeRollout({ number: 999_999 }) },
  "releases.clusterStatus": {
    rule: "admin",
    mutation: true,
    call: (c) => c.releases.clusterStatus({ number: 999_999, cluster: "staging-eu-1", status: "applied" }),
  },
  "releases.rollback": { rule: "admin", mutation: true, call: (c) => c.releases.rollback({ release: 999_999, reason: "matrix rollback" }) },
  "releases.acknowledgeEmergencyReview": {
    rule: "admin",
    mutation: true,
    call: (c) => c.releases.acknowledgeEmergencyReview({ number: 999_999, note: "matrix review" }),
  },
  // Clusters: every role holder sees the list; the drift (objects of every tenant) needs an organisation-wide role;
  // registering, editing, retiring and uploading observed state are an admin's.
  "clusters.overview": { rule: "role", call: (c) => c.clusters.overview() },
  "clusters.drift": { rule: "organisation", mutation: true, call: (c) => c.clusters.drift({ name: "matrix-no-cluster" }) },
  "clusters.register": {
    rule: "admin",
    mutation: true,
    call: (c) =>
      c.clusters.register({
        name: "staging-eu-1",
        region: "eu-west",
        environment: "staging",
        labels: {},
        cni: null,
        policyApi: "anp",
        istio: false,
      }),
  },
  "clusters.edit": {
    rule: "admin",
    mutation: true,
    call: (c) =>
      c.clusters.edit({
        name: "matrix-no-cluster",
        region: "x",
        environment: "staging",
        labels: {},
        cni: null,
        policyApi: "anp",
        istio: false,
      }),
  },
  "clusters.retire": { rule: "admin", mutation: true, call: (c) => c.clusters.retire({ name: "matrix-no-cluster" }) },
  // Without POLICYPLANE_GITOPS_DIR (tests) the export is a CONFLICT for the admin.
  // The admission webhook: its status for organisation-wide readers; mode, certificates, configuration and the key for admins.
  "clusters.webhook": { rule: "organisation", mutation: true, call: (c) => c.clusters.webhook({ name: "matrix-no-cluster" }) },
  "clusters.setAdmissionMode": {
    rule: "admin",
    mutation: true,
    call: (c) => c.clusters.setAdmissionMode({ name: "matrix-no-cluster", mode: "warn" }),
  },
  "clusters.issueWebhookCertificate": {
    rule: "admin",
    mutation: true,
    call: (c) => c.clusters.issueWebhookCertificate({ name: "matrix-no-cluster" }),
  },
  "clusters.webhookConfiguration": {
    rule: "admin",
    mutation: true,
    call: (c) => c.clusters.webhookConfiguration({ name: "matrix-no-cluster" }),
  },
  "clusters.downloadWebhookSecret": {
    rule: "admin",
    mutation: true,
    call: (c) => c.clusters.downloadWebhookSecret({ name: "matrix-no-cluster" }),
  },
  // The decision log names every tenant's policies: organisation-wide readers search it; admins set its sampling.
  "decisions.search": { rule: "organisation", call: (c) => c.decisions.search({}) },
  "decisions.settings": { rule: "admin", call: (c) => c.decisions.settings() },
  "decisions.updateSettings": {
    rule: "admin",
    mutation: true,
    call: (c) => c.decisions.updateSettings({ sampleRate: 0, alwaysLogDenies: false, retentionDays: 14, expectedVersion: 999_999 }),
  },
  "clusters.driftTrend": { rule: "organisation", mutation: true, call: (c) => c.clusters.driftTrend({ name: "matrix-no-cluster" }) },
  // Adopting a drift or importing a cluster drafts a change request: those who can draft (the cluster does not exist: NOT_FOUND).
  "clusters.adoptDrift": {
    rule: "author",
    mutation: true,
    call: (c) => c.clusters.adoptDrift({ name: "matrix-no-cluster", driftId: NO_SUCH_ID }),
  },
  "clusters.importCluster": { rule: "author", mutation: true, call: (c) => c.clusters.importCluster({ name: "matrix-no-cluster" }) },
  // Alerts: organisation-wide readers see them all, limited readers those about their tenants; admins edit rules, organisation-wide approvers silence.
  "alerts.list": { rule: "role", call: (c) => c.alerts.list({}) },
  "alerts.createRule": {
    rule: "admin",
    mutation: true,
    call: (c) => c.alerts.createRule({ name: `matrix-rule-${++unique}`, kind: "new-denied-path", params: { windowMinutes: 15 } }),
  },
  "alerts.updateRule": {
    rule: "admin",
    mutation: true,
    call: (c) =>
      c.alerts.updateRule({ id: NO_SUCH_ID, rule: { name: "matrix-no-rule", kind: "new-denied-path", params: { windowMinutes: 15 } } }),
  },
  "alerts.deleteRule": { rule: "admin", mutation: true, call: (c) => c.alerts.deleteRule({ id: NO_SUCH_ID }) },
  "alerts.createSilence": {
    rule: "admin",
    mutation: true,
    call: (c) => c.alerts.createSilence({ matcher: { cluster: "matrix-no-cluster" }, reason: "matrix", minutes: 1 }),
  },
  "alerts.endSilence": { rule: "admin", mutation: true, call: (c) => c.alerts.endSilence({ id: NO_SUCH_ID }) },
  "clusters.exportGitOps": { rule: "admin", mutation: true, call: (c) => c.clusters.exportGitOps() },
  "clusters.uploadObserved": {
    rule: "admin",
    mutation: true,
    call: (c) => c.clusters.uploadObserved({ name: "matrix-no-cluster", yaml: "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n" }),
  },
  // Exceptions: read by every role holder (each sees what their tenants allow); requested by those who can draft
  // (a request whose expiry precedes its start is refused past that gate: BAD_REQUEST); decided on an exception that
  // does not exist (NOT_FOUND for everyone with a role; who may approve what is in server/exceptions/exceptions.int.test.ts).
  "exceptions.list": { rule: "role", call: (c) => c.exceptions.list({}) },
  "exceptions.get": { rule: "role", mutation: true, call: (c) => c.exceptions.get({ number: 999_999 }) },
  "exceptions.exportCsv": { rule: "role", call: (c) => c.exceptions.exportCsv({}) },
  "exceptions.settings": { rule: "role", call: (c) => c.exceptions.settings() },
  "exceptions.prefill": { rule: "role", call: (c) => c.exceptions.prefill({ from: "payments/ledger", to: "dns:api.example.com" }) },
  "exceptions.preview": {
    rule: "role",
    call: (c) =>
      c.exceptions.preview({
        flow: {
          direction: "egress",
          source: { namespace: "payments", labels: { app: "ledger" } },
          destination: { kind: "workload", namespace: "payments", labels: { app: "payments-db" } },
          ports: [{ port: 5432, protocol: "TCP" }],
        },
        startsAt: "2030-01-01T00:00:00Z",
        expiresAt: "2030-01-02T00:00:00Z",
      }),
  },
  "exceptions.request": {
    rule: "author",
    mutation: true,
    call: (c) =>
      c.exceptions.request({
        title: "matrix",
        flow: {
          direction: "egress",
          source: { namespace: "payments", labels: { app: "ledger" } },
          destination: { kind: "dns", dns: "api.example.com" },
          ports: [{ port: 443, protocol: "TCP" }],
        },
        justification: "the authorisation matrix",
        ticket: "MATRIX-1",
        startsAt: "2030-01-02T00:00:00Z",
        expiresAt: "2030-01-01T00:00:00Z",
      }),
  },
  "exceptions.approve": {
    rule: "role",
    mutation: true,
    call: (c) => c.exceptions.approve({ number: 999_999, contentHash: "0".repeat(64), comment: "" }),
  },
  "exceptions.reject": { rule: "role", mutation: true, call: (c) => c.exceptions.reject({ number: 999_999, reason: "matrix" }) },
  "exceptions.revoke": { rule: "role", mutation: true, call: (c) => c.exceptions.revoke({ number: 999_999, reason: "matrix" }) },
  // Refused before their input is read, unless by an admin (who gets the input's 400 here).
  "exceptions.updateSettings": { rule: "admin", mutation: true, call: (c) => c.exceptions.updateSettings({} as never) },
  "exceptions.setTestClock": { rule: "admin", mutation: true, call: (c) => c.exceptions.setTestClock({ at: "not a time" }) },
  "exceptions.previewRules": {
    rule: "admin",
    call: (c) =>
      c.exceptions.previewRules({
        rules: [{ key: "x", description: "", appliesTo: "all", requirements: [{ function: "security", count: 1, scope: "organisation" }] }],
        production: false,
        tenant: null,
      }),
  },
};

let database: () => { db: Database };

async function grant(db: Database, email: string, tenantId: string | null, role: "viewer" | "author" | "approver" | null) {
  const id = await insertPasswordUser(db, { name: email, email, password: "a-good-password" });
  if (role)
    await db.insert(memberships).values({ userId: id, tenantId, role, committeeFunction: role === "approver" ? "application" : null });
}

const wordIn = (text: string, word: string) =>
  new RegExp(`(?<![A-Za-z0-9.-])${word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![A-Za-z0-9.-])`).test(text);

describe(`authorisation matrix on ${testDatabaseKind()}`, () => {
  database = useSeededDatabase();
  const f = {} as Fixture;

  beforeAll(async () => {
    const db = database().db;
    const [payments] = await db.select().from(tenants).where(eq(tenants.name, "payments"));
    await grant(db, EMAIL["tenant author"], payments!.id, "author");
    await grant(db, EMAIL["tenant approver"], payments!.id, "approver");
    await grant(db, EMAIL["tenant viewer"], payments!.id, "viewer");
    await grant(db, EMAIL["no role"], null, null);
    const admin = await callerFor(db, EMAIL.admin);
    const [ownPolicy] = await db.select().from(policies).where(eq(policies.tenantId, payments!.id)).limit(1);
    f.ownPolicy = { name: ownPolicy!.name, yaml: (await admin.policies.get({ name: ownPolicy!.name })).versions.at(-1)!.yaml };
    f.otherPolicyNames = (
      await db
        .select({ name: policies.name })
        .from(policies)
        .where(and(isNotNull(policies.tenantId), ne(policies.tenantId, payments!.id)))
    ).map((p) => p.name);
    const otherWorkloads = await db
      .select({ name: workloads.name })
      .from(workloads)
      .innerJoin(namespaces, eq(namespaces.id, workloads.namespaceId))
      .where(and(isNotNull(namespaces.tenantId), ne(namespaces.tenantId, payments!.id)));
    // Only a name nothing readable also uses proves a leak: tenant, namespace and Service names are
    // public (they are the addresses peers are written with), and so are this tenant's workloads.
    const publicNames = new Set([
      ...(await db.select({ name: tenants.name }).from(tenants)).map((r) => r.name),
      ...(await db.select({ name: namespaces.name }).from(namespaces)).map((r) => r.name),
      ...(await db.select({ name: services.name }).from(services)).map((r) => r.name),
      ...(
        await db
          .select({ name: workloads.name })
          .from(workloads)
          .innerJoin(namespaces, eq(namespaces.id, workloads.namespaceId))
          .where(eq(namespaces.tenantId, payments!.id))
      ).map((r) => r.name),
    ]);
    f.otherPolicyNames = f.otherPolicyNames.filter((n) => !publicNames.has(n));
    f.otherWorkloadNames = [...new Set(otherWorkloads.map((w) => w.name))].filter((n) => !publicNames.has(n));
    const view = await admin.graph.view({});
    f.cluster = view.cluster;
    const readableNamespaces = new Set(
      (await db.select({ name: namespaces.name, tenantId: namespaces.tenantId }).from(namespaces))
        .filter((n) => n.tenantId === null || n.tenantId === payments!.id)
        .map((n) => n.name),
    );
    const readable = (id: string) => id.startsWith("x:") || readableNamespaces.has(id.split("/")[1] ?? "");
    const leaves = async (tenant: string) => {
      const namespace = view.nodes.find((n) => n.kind === "namespace" && n.tenant === tenant)!;
      return { namespace: namespace.id, contents: await admin.graph.group({ cluster: f.cluster, group: namespace.id }) };
    };
    const own = await leaves("payments");
    f.ownNamespaceNode = own.namespace;
    f.ownWorkloadNode = own.contents.nodes.find((n) => n.kind === "workload")!.id;
    f.ownEdge = own.contents.edges.find((e) => !e.fronts && readable(e.source) && readable(e.target))!.id;
    f.otherWorkloadNode = (await leaves("checkout")).contents.nodes.find((n) => n.kind === "workload")!.id;
    f.throwawayUserId = async () =>
      insertPasswordUser(database().db, { name: "Throwaway", email: `throwaway-${++unique}@acme.example`, password: "a-good-password" });
    expect(f.otherPolicyNames.length).toBeGreaterThan(3);
    expect(f.otherWorkloadNames.length).toBeGreaterThan(0);
  });

  it("has a row for every procedure of the API", () => {
    const procedures = Object.keys((appRouter as unknown as { _def: { procedures: Record<string, unknown> } })._def.procedures).sort();
    expect(Object.keys(MATRIX).sort()).toEqual(procedures);
  });

  for (const [path, row] of Object.entries(MATRIX)) {
    it(`${path}: allowed to ${allowedBy[row.rule].join(", ")}; refused to the rest; nothing of another tenant to a tenant-scoped person`, async () => {
      for (const who of PEOPLE) {
        const caller = await callerFor(database().db, who === "anonymous" ? null : EMAIL[who]);
        const outcome = await row.call(caller, f).then(
          (value) => ({ code: "OK", value }),
          (error: { code?: string; message?: string }) => ({ code: error.code ?? "THROWN", value: error.message }),
        );
        const allowed = allowedBy[row.rule].includes(who);
        const expected = allowed
          ? row.mutation
            ? ["OK", "NOT_FOUND", "CONFLICT", "BAD_REQUEST"]
            : ["OK"]
          : who === "anonymous"
            ? ["UNAUTHORIZED"]
            : ["FORBIDDEN"];
        expect(expected, `${path} as ${who} answered ${outcome.code}: ${JSON.stringify(outcome.value)?.slice(0, 300)}`).toContain(
          outcome.code,
        );
        if (!SCOPED.includes(who)) continue;
        const json = JSON.stringify(outcome.value) ?? "";
        for (const name of f.otherPolicyNames)
          expect(wordIn(json, name), `${path} as ${who} names another tenant's policy ${name}`).toBe(false);
        for (const name of f.otherWorkloadNames)
          expect(wordIn(json, name), `${path} as ${who} names another tenant's workload ${name}`).toBe(false);
      }
    });
  }

  it("shows a tenant viewer other tenants only as an opaque node, answers NOT_FOUND for their nodes, and says nothing of the paths to them beyond ports and a count", async () => {
    const viewer = await callerFor(database().db, EMAIL["tenant viewer"]);
    const view = await viewer.graph.view({ cluster: f.cluster });
    expect(view.nodes.every((n) => !n.tenant || n.tenant === "payments")).toBe(true);
    const opaque = view.nodes.filter((n) => n.kind === "other-tenant");
    expect(opaque).toEqual([{ id: `o:${f.cluster}`, kind: "other-tenant", label: "other tenant", cluster: f.cluster }]);
    expect(await viewer.graph.node({ cluster: f.cluster, node: f.otherWorkloadNode }).catch((e: { code: string }) => e.code)).toBe(
      "NOT_FOUND",
    );
    const toOther = view.edges.find((e) => e.target === opaque[0]!.id || e.source === opaque[0]!.id);
    if (toOther) {
      expect(toOther.allowance.policy).toBeUndefined();
      // A path to the opaque node is an aggregate: its count and ports, no workload-level samples, no rationale.
      const detail = await viewer.graph.edge({ cluster: f.cluster, edge: toOther.id });
      expect(detail.source.label === "other tenant" || detail.target.label === "other tenant").toBe(true);
      expect(detail.ports.every((p) => p.current === undefined && p.proposed === undefined)).toBe(true);
      expect((detail as { aggregate?: { samples: unknown[] } }).aggregate?.samples ?? []).toEqual([]);
    }
    const details = await viewer.graph.node({ cluster: f.cluster, node: opaque[0]!.id });
    expect(details).toMatchObject({ label: "other tenant", labels: {}, policies: [] });
    expect(details.members ?? []).toEqual([]);
    const json = JSON.stringify(details);
    for (const name of [...f.otherPolicyNames, ...f.otherWorkloadNames]) expect(wordIn(json, name), name).toBe(false);
  });

  it("answers NOT_FOUND, as for a missing one, when a tenant author restores, saves or proposes another tenant's policy", async () => {
    const author = await callerFor(database().db, EMAIL["tenant author"]);
    const other = f.otherPolicyNames[0]!;
    const code = (p: Promise<unknown>) =>
      p.then(
        () => "OK",
        (e: { code: string }) => e.code,
      );
    expect(await code(author.policies.restoreVersion({ policyName: other, version: 1 }))).toBe("NOT_FOUND");
    expect(await code(author.policies.restoreVersion({ policyName: "no-such-policy", version: 1 }))).toBe("NOT_FOUND");
    expect(await code(author.policies.saveDraft({ policyName: other, baseVersion: null, yaml: f.ownPolicy.yaml, message: "" }))).toBe(
      "NOT_FOUND",
    );
    expect(await code(author.policies.proposeChange({ title: "x", description: "", policies: [other] }))).toBe("NOT_FOUND");
    expect(await code(author.policies.get({ name: other }))).toBe("NOT_FOUND");
  });

  it("lists no audit event of another tenant to a tenant-scoped person", async () => {
    const db = database().db;
    const [payments] = await db.select({ id: tenants.id }).from(tenants).where(eq(tenants.name, "payments"));
    const viewer = await callerFor(db, EMAIL["tenant viewer"]);
    const { events } = await viewer.audit.list({});
    expect(events.every((e) => e.tenantId === payments!.id || e.targetType === "organisation")).toBe(true);
  });
});
