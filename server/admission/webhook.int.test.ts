// A cluster's admission webhook as the console manages it (issue 18 items 5-6): the stored mode (admin
// only, audited), the serving certificate (verifies against the CA, SAN = the Service's DNS name, key
// sealed at rest, only admins download it, audited), the ValidatingWebhookConfiguration (its caBundle is
// the CA) and rotation (same CA, warning until applied, the scheduled rotation runs once).
import { X509Certificate, createPrivateKey, createPublicKey } from "node:crypto";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { auditEvents, webhookCertificates } from "@/db/schema";
import { testDatabaseKind } from "@/db/testing";
import { callerFor } from "@/server/testing/actors";
import { useSeededDatabase } from "@/server/testing/database";
import { certificateWarning, rotateExpiringWebhookCertificates } from "./webhook";

const ADMIN = "alex.admin@acme.example";
const AUTHOR = "priya.payments@acme.example";
const CLUSTER = "prod-eu-1";
const DAY_MS = 86_400_000;

interface WebhookDoc {
  kind: string;
  webhooks: {
    name: string;
    failurePolicy: string;
    timeoutSeconds: number;
    sideEffects: string;
    admissionReviewVersions: string[];
    clientConfig: { caBundle: string; service: { name: string; namespace: string; path: string; port: number } };
    rules: { apiGroups: string[]; resources: string[]; operations: string[] }[];
  }[];
}

describe(`the admission webhook's settings and certificates on ${testDatabaseKind()}`, () => {
  const database = useSeededDatabase();
  const db = () => database().db;
  const events = (action: string) => db().select().from(auditEvents).where(eq(auditEvents.action, action));

  it("stores the admission mode per cluster: admins only, audited, nothing written for others", async () => {
    const admin = await callerFor(db(), ADMIN);
    const author = await callerFor(db(), AUTHOR);
    expect(await admin.clusters.webhook({ name: CLUSTER })).toMatchObject({ mode: "enforce", certificate: null, warning: null });
    await expect(author.clusters.setAdmissionMode({ name: CLUSTER, mode: "off" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(admin.clusters.setAdmissionMode({ name: "no-such-cluster", mode: "off" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(admin.clusters.setAdmissionMode({ name: CLUSTER, mode: "audit" as "off" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    expect(await events("cluster.admission_mode_changed")).toHaveLength(0);
    expect(await admin.clusters.setAdmissionMode({ name: CLUSTER, mode: "warn" })).toEqual({ mode: "warn", changed: true });
    expect(await admin.clusters.setAdmissionMode({ name: CLUSTER, mode: "warn" })).toEqual({ mode: "warn", changed: false });
    const [event] = await events("cluster.admission_mode_changed");
    expect(event).toMatchObject({ targetLabel: `cluster ${CLUSTER}`, before: { mode: "enforce" }, after: { mode: "warn" } });
    expect(await author.clusters.webhook({ name: CLUSTER })).toMatchObject({
      mode: "warn",
      modeUpdatedBy: expect.stringContaining("alex"),
    });
  });

  it("issues a serving certificate that verifies against the CA for the Service's DNS name, and a configuration whose caBundle is that CA", async () => {
    const admin = await callerFor(db(), ADMIN);
    const author = await callerFor(db(), AUTHOR);
    await expect(author.clusters.issueWebhookCertificate({ name: CLUSTER })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(admin.clusters.webhookConfiguration({ name: CLUSTER })).rejects.toMatchObject({
      code: "NOT_FOUND",
      message: expect.stringContaining("no webhook certificate yet"),
    });
    const issued = await admin.clusters.issueWebhookCertificate({ name: CLUSTER, service: "pp-hook", namespace: "policyplane-system" });
    expect(issued!.newCa).toBe(true);

    const { yaml, caPem } = await admin.clusters.webhookConfiguration({ name: CLUSTER, failurePolicy: "Ignore", timeoutSeconds: 7 });
    expect(yaml).toMatch(/^# .*failurePolicy Ignore: /m);
    const doc = parse(yaml) as WebhookDoc;
    expect(doc.kind).toBe("ValidatingWebhookConfiguration");
    const hook = doc.webhooks[0]!;
    expect(hook).toMatchObject({ failurePolicy: "Ignore", timeoutSeconds: 7, sideEffects: "None", admissionReviewVersions: ["v1"] });
    expect(hook.clientConfig.service).toEqual({
      name: "pp-hook",
      namespace: "policyplane-system",
      path: `/api/v1/admission/${CLUSTER}`,
      port: 443,
    });
    expect(Buffer.from(hook.clientConfig.caBundle, "base64").toString()).toBe(caPem);
    expect(hook.rules.flatMap((r) => r.resources)).toEqual(
      expect.arrayContaining(["namespaces", "deployments", "networkpolicies", "ciliumnetworkpolicies"]),
    );
    await expect(admin.clusters.webhookConfiguration({ name: CLUSTER, timeoutSeconds: 31 })).rejects.toMatchObject({ code: "BAD_REQUEST" });

    // Only admins get the key, and each download is audited.
    await expect(author.clusters.downloadWebhookSecret({ name: CLUSTER })).rejects.toMatchObject({ code: "FORBIDDEN" });
    const secret = await admin.clusters.downloadWebhookSecret({ name: CLUSTER });
    const ca = new X509Certificate(caPem);
    const serving = new X509Certificate(secret.certPem);
    expect(ca.ca).toBe(true);
    expect(serving.ca).toBe(false);
    expect(serving.verify(ca.publicKey)).toBe(true);
    expect(serving.checkIssued(ca)).toBe(true);
    expect(serving.subjectAltName).toBe("DNS:pp-hook.policyplane-system.svc, DNS:pp-hook.policyplane-system.svc.cluster.local");
    expect(serving.checkHost("pp-hook.policyplane-system.svc")).toBe("pp-hook.policyplane-system.svc");
    expect(serving.checkHost("pp-hook.default.svc")).toBeUndefined();
    // Another CA's certificate does not verify: the check above means something.
    const other = await admin.clusters.issueWebhookCertificate({ name: "prod-us-1" });
    const otherCa = new X509Certificate((await admin.clusters.webhookConfiguration({ name: "prod-us-1" })).caPem);
    expect(other!.newCa).toBe(true);
    expect(serving.verify(otherCa.publicKey)).toBe(false);
    // The key is the certificate's, and the database holds it only sealed.
    expect(createPublicKey(createPrivateKey(secret.keyPem)).export({ format: "pem", type: "spki" })).toBe(
      serving.publicKey.export({ format: "pem", type: "spki" }),
    );
    const secretDoc = parse(secret.yaml) as { type: string; data: Record<string, string> };
    expect(secretDoc.type).toBe("kubernetes.io/tls");
    expect(Buffer.from(secretDoc.data["tls.key"]!, "base64").toString()).toBe(secret.keyPem);
    const [row] = await db().select().from(webhookCertificates).where(eq(webhookCertificates.serial, issued!.serial));
    expect(row!.keySealed).not.toContain("PRIVATE KEY");
    expect(Buffer.from(row!.keySealed, "base64").toString("latin1")).not.toContain(secret.keyPem.slice(40, 80));
    expect(await events("webhook.key_downloaded")).toHaveLength(1);
    expect(await events("webhook.certificate_issued")).toHaveLength(2);
  });

  it("rotates from the same CA (the caBundle stays), warns until the new Secret is downloaded, and the scheduled rotation runs once", async () => {
    const admin = await callerFor(db(), ADMIN);
    const before = await admin.clusters.webhookConfiguration({ name: CLUSTER });
    const old = (await admin.clusters.webhook({ name: CLUSTER })).certificate!;
    const rotated = (await admin.clusters.issueWebhookCertificate({ name: CLUSTER, service: old.service, namespace: old.namespace }))!;
    expect(rotated.newCa).toBe(false);
    expect(rotated.serial).not.toBe(old.serial);
    expect((await admin.clusters.webhookConfiguration({ name: CLUSTER })).caPem).toBe(before.caPem);
    const status = await admin.clusters.webhook({ name: CLUSTER });
    expect(status.certificate).toMatchObject({ serial: rotated.serial, rotated: true, downloadedAt: null });
    expect(status.warning).toMatchObject({ level: "not-applied" });
    await admin.clusters.downloadWebhookSecret({ name: CLUSTER });
    expect((await admin.clusters.webhook({ name: CLUSTER })).warning).toBeNull();
    const [oldRow] = await db().select().from(webhookCertificates).where(eq(webhookCertificates.serial, old.serial));
    expect(oldRow!.supersededAt).not.toBeNull();

    // Nothing is due today; 20 days before expiry both clusters are, and two runs at once rotate each once.
    expect(await rotateExpiringWebhookCertificates(db())).toEqual([]);
    const late = new Date(rotated.notAfter.getTime() - 20 * DAY_MS);
    const runs = await Promise.all([rotateExpiringWebhookCertificates(db(), late), rotateExpiringWebhookCertificates(db(), late)]);
    expect(runs.flat().sort()).toEqual(["prod-eu-1", "prod-us-1"]);
    const rotations = await db()
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, "webhook.certificate_rotated"), eq(auditEvents.actorLabel, "webhook certificate rotation")));
    expect(rotations).toHaveLength(2);
  });

  it("warns 30 days ahead of expiry, when expired, and when a rotation was not applied", () => {
    const now = new Date("2027-01-01T00:00:00Z");
    const at = (days: number) => new Date(now.getTime() + days * DAY_MS);
    expect(certificateWarning({ notAfter: at(200), downloadedAt: now }, null, now)).toBeNull();
    expect(certificateWarning({ notAfter: at(29.5), downloadedAt: now }, null, now)).toMatchObject({
      level: "expiring",
      message: expect.stringContaining("29 day(s)"),
    });
    expect(certificateWarning({ notAfter: at(31), downloadedAt: now }, null, now)).toBeNull();
    expect(certificateWarning({ notAfter: at(-1), downloadedAt: now }, null, now)).toMatchObject({ level: "expired" });
    expect(certificateWarning({ notAfter: at(365), downloadedAt: null }, { notAfter: at(20) }, now)).toMatchObject({
      level: "not-applied",
    });
    expect(certificateWarning({ notAfter: at(365), downloadedAt: null }, { notAfter: at(-2) }, now)).toBeNull();
  });
});
