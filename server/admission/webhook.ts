import "server-only";
// A cluster's admission webhook as the console manages it (issue 18 items 5-6): its stored mode
// (enforce / warn / off, what POST /api/v1/admission/{cluster} answers by), the serving certificate
// and CA the API server trusts, and the ValidatingWebhookConfiguration that points the cluster at it.
// Every change is admin-only and audited in its transaction; keys are sealed at rest (./sealing.ts) and
// only leave through the audited Secret download.
import { randomUUID } from "node:crypto";
import { and, desc, eq, isNull, lt } from "drizzle-orm";
import { stringify } from "yaml";
import type { Database, Queryable } from "@/db/client";
import { clusterAdmission, clusters, webhookCertificates } from "@/db/schema";
import { CERT_WARNING_DAYS, type AdmissionMode } from "@/lib/machines";
import { recordAudit } from "@/server/audit/record";
import { requireRole } from "@/server/auth/authorize";
import { systemActor, withTransaction, type ServiceContext } from "@/server/context";
import { NotFound } from "@/server/errors";
import { scheduleEvery } from "@/server/lib/schedule";
import { POLICY_KINDS } from "./review";
import { issueCa, issueServing, serviceDnsNames, SERVING_VALIDITY_DAYS } from "./certificates";
import { seal, unseal } from "./sealing";
import {
  issueWebhookCertificateInput,
  webhookConfigurationInput,
  type IssueWebhookCertificateInput,
  type SetAdmissionModeInput,
  type WebhookConfigurationInput,
} from "./schemas";

const DAY_MS = 86_400_000;
export const WEBHOOK_NAME = "admission.policyplane.io";
export const admissionPath = (cluster: string) => `/api/v1/admission/${cluster}`;

async function clusterByName(db: Queryable, name: string) {
  const [row] = await db.select({ id: clusters.id, name: clusters.name }).from(clusters).where(eq(clusters.name, name));
  if (!row) throw new NotFound(`No cluster named "${name}".`);
  return row;
}

const auditTarget = (c: { id: string; name: string }) => ({ targetType: "cluster", targetId: c.id, targetLabel: `cluster ${c.name}` });

/** The cluster's id and stored admission mode (enforce when none was set), in one read: the webhook's hot path. */
/** The cluster's admission mode, the cluster named by `name` or by its id (a cluster-bound token's). */
export async function admissionModeOf(
  db: Queryable,
  cluster: { name: string } | { id: string },
): Promise<{ id: string; name: string; mode: AdmissionMode }> {
  const [row] = await db
    .select({ id: clusters.id, name: clusters.name, mode: clusterAdmission.mode })
    .from(clusters)
    .leftJoin(clusterAdmission, eq(clusterAdmission.clusterId, clusters.id))
    .where("name" in cluster ? eq(clusters.name, cluster.name) : eq(clusters.id, cluster.id));
  if (!row) throw new NotFound("name" in cluster ? `No cluster named "${cluster.name}".` : "The token's cluster no longer exists.");
  return { id: row.id, name: row.name, mode: row.mode ?? "enforce" };
}

export async function setAdmissionMode({ ctx, input }: { ctx: ServiceContext; input: SetAdmissionModeInput }) {
  requireRole(ctx.actor, "admin");
  return withTransaction(ctx, async (tx) => {
    const cluster = await clusterByName(tx.db, input.name);
    const [before] = await tx.db.select().from(clusterAdmission).where(eq(clusterAdmission.clusterId, cluster.id)).for("update");
    const from = before?.mode ?? "enforce";
    if (from === input.mode) return { mode: from, changed: false };
    const now = new Date();
    await tx.db
      .insert(clusterAdmission)
      .values({ clusterId: cluster.id, mode: input.mode, updatedBy: ctx.actor.label, updatedAt: now })
      .onConflictDoUpdate({ target: clusterAdmission.clusterId, set: { mode: input.mode, updatedBy: ctx.actor.label, updatedAt: now } });
    await recordAudit(tx, {
      action: "cluster.admission_mode_changed",
      ...auditTarget(cluster),
      before: { mode: from },
      after: { mode: input.mode },
    });
    return { mode: input.mode, changed: true };
  });
}

type CertRow = typeof webhookCertificates.$inferSelect;

async function currentCertificate(db: Queryable, clusterId: string): Promise<CertRow | undefined> {
  const [row] = await db
    .select()
    .from(webhookCertificates)
    .where(and(eq(webhookCertificates.clusterId, clusterId), isNull(webhookCertificates.supersededAt)))
    .orderBy(desc(webhookCertificates.createdAt))
    .limit(1);
  return row;
}

export interface CertificateWarning {
  level: "expiring" | "expired" | "not-applied";
  message: string;
}

/**
 * What the cluster page warns about, if anything: the certificate in force expires within
 * CERT_WARNING_DAYS (or has), or a rotation issued a certificate nobody downloaded while the one the
 * cluster still serves runs out.
 */
export function certificateWarning(
  current: Pick<CertRow, "notAfter" | "downloadedAt">,
  previous: Pick<CertRow, "notAfter"> | null,
  now: Date,
): CertificateWarning | null {
  const days = (d: Date) => Math.floor((d.getTime() - now.getTime()) / DAY_MS);
  if (current.notAfter <= now)
    return {
      level: "expired",
      message: `The serving certificate expired on ${current.notAfter.toISOString().slice(0, 10)}: the API server refuses the webhook's TLS. Rotate it and apply the new Secret.`,
    };
  if (days(current.notAfter) < CERT_WARNING_DAYS)
    return {
      level: "expiring",
      message: `The serving certificate expires in ${days(current.notAfter)} day(s), on ${current.notAfter.toISOString().slice(0, 10)}. Rotate it and apply the new Secret.`,
    };
  if (!current.downloadedAt && previous && previous.notAfter > now)
    return {
      level: "not-applied",
      message: `A new serving certificate was issued but its Secret was never downloaded: the cluster still serves the previous one, which expires in ${days(previous.notAfter)} day(s). Download the Secret and apply it.`,
    };
  return null;
}

/** Mode and certificate status of a cluster's webhook, for organisation-wide readers (no key material). */
export async function getWebhookStatus({ ctx, input }: { ctx: ServiceContext; input: { name: string } }) {
  requireRole(ctx.actor, "viewer");
  const cluster = await clusterByName(ctx.db, input.name);
  const [[admission], certs] = await Promise.all([
    ctx.db.select().from(clusterAdmission).where(eq(clusterAdmission.clusterId, cluster.id)),
    ctx.db
      .select()
      .from(webhookCertificates)
      .where(eq(webhookCertificates.clusterId, cluster.id))
      .orderBy(desc(webhookCertificates.createdAt))
      .limit(2),
  ]);
  const [current, previous] = certs;
  const now = new Date();
  return {
    cluster: cluster.name,
    mode: admission?.mode ?? ("enforce" as AdmissionMode),
    modeUpdatedBy: admission?.updatedBy ?? null,
    modeUpdatedAt: admission?.updatedAt ?? null,
    path: admissionPath(cluster.name),
    certificate:
      current && !current.supersededAt
        ? {
            service: current.serviceName,
            namespace: current.serviceNamespace,
            dnsNames: serviceDnsNames(current.serviceName, current.serviceNamespace),
            serial: current.serial,
            notBefore: current.notBefore,
            notAfter: current.notAfter,
            caNotAfter: current.caNotAfter,
            createdBy: current.createdBy,
            createdAt: current.createdAt,
            downloadedAt: current.downloadedAt,
            rotated: previous !== undefined,
          }
        : null,
    warning: current && !current.supersededAt ? certificateWarning(current, previous ?? null, now) : null,
  };
}

/**
 * Issues the cluster's serving certificate, or rotates it: a new key and certificate from the same CA
 * (so the caBundle in the cluster stays valid), or from a new CA when the old one would expire within a
 * serving certificate's lifetime (the webhook configuration must then be applied again).
 */
export async function issueWebhookCertificate({
  ctx,
  input,
  onlyIfExpiringBefore,
  now = new Date(),
}: {
  ctx: ServiceContext;
  input: IssueWebhookCertificateInput;
  /** The scheduled rotation: do nothing when (another replica meanwhile made) the certificate in force lasts past this. */
  onlyIfExpiringBefore?: Date;
  now?: Date;
}) {
  requireRole(ctx.actor, "admin");
  const { name, service, namespace } = issueWebhookCertificateInput.parse(input);
  return withTransaction(ctx, async (tx) => {
    const cluster = await clusterByName(tx.db, name);
    await tx.db.select({ id: clusters.id }).from(clusters).where(eq(clusters.id, cluster.id)).for("update");
    const old = await currentCertificate(tx.db, cluster.id);
    if (onlyIfExpiringBefore && (!old || old.notAfter >= onlyIfExpiringBefore)) return null;
    const caStillGood = old && old.caNotAfter.getTime() - now.getTime() > (SERVING_VALIDITY_DAYS + CERT_WARNING_DAYS) * DAY_MS;
    const ca = caStillGood
      ? { certPem: old.caCertPem, keyPem: unseal(old.caKeySealed, old.keyId), notAfter: old.caNotAfter }
      : await issueCa(cluster.name, now);
    const serving = await issueServing(ca, service, namespace, now);
    const caKey = seal(ca.keyPem);
    const key = seal(serving.keyPem);
    if (old) await tx.db.update(webhookCertificates).set({ supersededAt: now }).where(eq(webhookCertificates.id, old.id));
    const [row] = await tx.db
      .insert(webhookCertificates)
      .values({
        clusterId: cluster.id,
        serviceName: service,
        serviceNamespace: namespace,
        caCertPem: ca.certPem,
        caKeySealed: caKey.sealed,
        caNotAfter: ca.notAfter,
        certPem: serving.certPem,
        keySealed: key.sealed,
        keyId: key.keyId,
        serial: serving.serial,
        notBefore: serving.notBefore,
        notAfter: serving.notAfter,
        createdBy: ctx.actor.label,
        createdAt: now,
      })
      .returning({ id: webhookCertificates.id });
    await recordAudit(tx, {
      action: old ? "webhook.certificate_rotated" : "webhook.certificate_issued",
      ...auditTarget(cluster),
      before: old ? { serial: old.serial, notAfter: old.notAfter, service: `${old.serviceName}.${old.serviceNamespace}` } : undefined,
      after: { serial: serving.serial, notAfter: serving.notAfter, service: `${service}.${namespace}`, newCa: !caStillGood },
    });
    return { id: row!.id, serial: serving.serial, notAfter: serving.notAfter, newCa: !caStillGood };
  });
}

async function requireCertificate(db: Queryable, cluster: { id: string; name: string }): Promise<CertRow> {
  const cert = await currentCertificate(db, cluster.id);
  if (!cert) throw new NotFound(`Cluster ${cluster.name} has no webhook certificate yet: generate one first.`);
  return cert;
}

/** The ValidatingWebhookConfiguration for the cluster, as YAML with comments on the choices it makes. */
export async function webhookConfiguration({ ctx, input }: { ctx: ServiceContext; input: WebhookConfigurationInput }) {
  requireRole(ctx.actor, "admin");
  const { name, failurePolicy, timeoutSeconds } = webhookConfigurationInput.parse(input);
  const cluster = await clusterByName(ctx.db, name);
  const cert = await requireCertificate(ctx.db, cluster);
  return { yaml: renderWebhookConfiguration(cert, cluster.name, failurePolicy, timeoutSeconds), caPem: cert.caCertPem };
}

const WORKLOAD_RULES = [
  { apiGroups: [""], resources: ["namespaces", "pods", "replicationcontrollers"] },
  { apiGroups: ["apps"], resources: ["deployments", "statefulsets", "daemonsets", "replicasets"] },
  { apiGroups: ["batch"], resources: ["jobs", "cronjobs"] },
];
const plural = (kind: string) => (kind.endsWith("y") ? `${kind.slice(0, -1)}ies` : `${kind}s`).toLowerCase();

export function renderWebhookConfiguration(
  cert: Pick<CertRow, "caCertPem" | "serviceName" | "serviceNamespace">,
  cluster: string,
  failurePolicy: "Fail" | "Ignore",
  timeoutSeconds: number,
): string {
  const policyRules = Object.entries(POLICY_KINDS).map(([group, kinds]) => ({ apiGroups: [group], resources: kinds.map(plural) }));
  const doc = {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingWebhookConfiguration",
    metadata: { name: `policyplane-${cluster}`, labels: { "app.kubernetes.io/managed-by": "policyplane" } },
    webhooks: [
      {
        name: WEBHOOK_NAME,
        admissionReviewVersions: ["v1"],
        sideEffects: "None",
        failurePolicy,
        timeoutSeconds,
        matchPolicy: "Equivalent",
        clientConfig: {
          service: { name: cert.serviceName, namespace: cert.serviceNamespace, path: admissionPath(cluster), port: 443 },
          caBundle: Buffer.from(cert.caCertPem).toString("base64"),
        },
        // The webhook's own namespace and kube-system are never judged: a broken webhook must not stop its own repair.
        namespaceSelector: {
          matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "NotIn", values: [cert.serviceNamespace, "kube-system"] }],
        },
        rules: [...WORKLOAD_RULES, ...policyRules].map((r) => ({
          ...r,
          apiVersions: ["*"],
          operations: ["CREATE", "UPDATE"],
          scope: "*",
        })),
      },
    ],
  };
  const header = [
    `ValidatingWebhookConfiguration for cluster ${cluster}, generated by Policyplane.`,
    `failurePolicy ${failurePolicy}: ${failurePolicy === "Fail" ? "when the webhook cannot be reached or answers late, the API server refuses the object (safe, but an outage of the webhook blocks deployments)" : "when the webhook cannot be reached or answers late, the object is admitted unchecked (deployments go on, the rules are skipped meanwhile)"}.`,
    `timeoutSeconds ${timeoutSeconds}: how long the API server waits for an answer (1-30); it counts against the client's own request timeout.`,
    `The API server calls https://${cert.serviceName}.${cert.serviceNamespace}.svc${admissionPath(cluster)} and trusts only the caBundle's CA.`,
    "It must also present a Policyplane token with the decide scope: an AdmissionConfiguration kubeconfig with",
    `  users: [{name: "${cert.serviceName}.${cert.serviceNamespace}.svc", user: {token: "<ppt_ token>"}}] (kube-apiserver --admission-control-config-file).`,
  ];
  return `${header.map((l) => `# ${l}`).join("\n")}\n${stringify(doc, { lineWidth: 0 })}`;
}

/** The serving certificate and key as a kubernetes.io/tls Secret (plus ca.crt); downloading it is audited. */
export async function downloadWebhookSecret({ ctx, input }: { ctx: ServiceContext; input: { name: string } }) {
  requireRole(ctx.actor, "admin");
  return withTransaction(ctx, async (tx) => {
    const cluster = await clusterByName(tx.db, input.name);
    const cert = await requireCertificate(tx.db, cluster);
    const keyPem = unseal(cert.keySealed, cert.keyId);
    const now = new Date();
    await tx.db.update(webhookCertificates).set({ downloadedAt: now }).where(eq(webhookCertificates.id, cert.id));
    await recordAudit(tx, {
      action: "webhook.key_downloaded",
      ...auditTarget(cluster),
      after: { serial: cert.serial, notAfter: cert.notAfter },
    });
    const b64 = (s: string) => Buffer.from(s).toString("base64");
    const secret = {
      apiVersion: "v1",
      kind: "Secret",
      type: "kubernetes.io/tls",
      metadata: {
        name: `${cert.serviceName}-tls`,
        namespace: cert.serviceNamespace,
        labels: { "app.kubernetes.io/managed-by": "policyplane" },
      },
      data: { "tls.crt": b64(cert.certPem), "tls.key": b64(keyPem), "ca.crt": b64(cert.caCertPem) },
    };
    return {
      yaml: `# The webhook's serving certificate and private key (serial ${cert.serial}, valid until ${cert.notAfter.toISOString()}). Keep it secret.\n${stringify(secret, { lineWidth: 0 })}`,
      certPem: cert.certPem,
      keyPem,
      caPem: cert.caCertPem,
    };
  });
}

/**
 * Rotates every serving certificate that expires within CERT_WARNING_DAYS (the scheduled job; the
 * console's Rotate does the same for one cluster at any time). Returns the clusters rotated.
 */
export async function rotateExpiringWebhookCertificates(db: Database, now = new Date()): Promise<string[]> {
  const horizon = new Date(now.getTime() + CERT_WARNING_DAYS * DAY_MS);
  const due = await db
    .select({ name: clusters.name, service: webhookCertificates.serviceName, namespace: webhookCertificates.serviceNamespace })
    .from(webhookCertificates)
    .innerJoin(clusters, eq(clusters.id, webhookCertificates.clusterId))
    .where(and(isNull(webhookCertificates.supersededAt), lt(webhookCertificates.notAfter, horizon)));
  const rotated: string[] = [];
  for (const d of due) {
    const ctx: ServiceContext = { db, actor: systemActor("webhook certificate rotation"), requestId: `rotate-${randomUUID()}` };
    const done = await issueWebhookCertificate({
      ctx,
      input: { name: d.name, service: d.service, namespace: d.namespace },
      onlyIfExpiringBefore: horizon,
      now,
    });
    if (done) rotated.push(d.name);
  }
  return rotated;
}

/** Rotates due certificates every `everySeconds` in this process (several replicas: the row lock keeps it to one rotation); returns the stop function. */
export function scheduleWebhookCertificateRotation(
  db: Database,
  everySeconds: number,
  log: (message: string, error?: unknown) => void,
): () => void {
  return scheduleEvery(
    everySeconds,
    async () => {
      const names = await rotateExpiringWebhookCertificates(db);
      if (names.length > 0) log(`webhook certificates rotated (apply the new Secret): ${names.join(", ")}`);
    },
    (error) => log("could not rotate webhook certificates", error),
  );
}
