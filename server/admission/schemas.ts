// admission.k8s.io/v1 AdmissionReview, as much of it as a validating webhook reads and answers.
// Unknown fields are kept (loose): the API server sends more than we look at.
import { z } from "zod";
import { ADMISSION_MODES } from "@/lib/machines";

const groupVersionKind = z.object({ group: z.string(), version: z.string(), kind: z.string().min(1) });
const groupVersionResource = z.object({ group: z.string(), version: z.string(), resource: z.string().min(1) });

export const admissionRequest = z
  .object({
    uid: z.string().min(1).max(128),
    kind: groupVersionKind,
    resource: groupVersionResource,
    subResource: z.string().optional(),
    name: z.string().optional(),
    namespace: z.string().optional(),
    operation: z.enum(["CREATE", "UPDATE", "DELETE", "CONNECT"]),
    userInfo: z.object({ username: z.string().optional() }).loose().optional(),
    object: z.record(z.string(), z.unknown()).nullable().optional(),
    oldObject: z.record(z.string(), z.unknown()).nullable().optional(),
    dryRun: z.boolean().optional(),
  })
  .loose();
export type AdmissionRequest = z.infer<typeof admissionRequest>;

export const admissionResponse = z.object({
  uid: z.string(),
  allowed: z.boolean(),
  status: z.object({ code: z.number().int(), message: z.string() }).optional(),
  warnings: z.array(z.string()).optional(),
});
export type AdmissionResponse = z.infer<typeof admissionResponse>;

/** A review as sent (with `request`) or as answered (with `response`). */
export const admissionReview = z.object({
  apiVersion: z.literal("admission.k8s.io/v1"),
  kind: z.literal("AdmissionReview"),
  request: admissionRequest.optional(),
  response: admissionResponse.optional(),
});

/** What the webhook takes: a review with its request. */
export const admissionReviewRequest = admissionReview.extend({ request: admissionRequest });

export { ADMISSION_MODES, type AdmissionMode } from "@/lib/machines";

// The console's webhook settings for one cluster (server/admission/webhook.ts).
const dnsLabel = (what: string) =>
  z
    .string()
    .trim()
    .min(1, `Name the ${what}`)
    .max(63, "At most 63 characters")
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "Lower-case letters, digits and '-', starting and ending with a letter or digit");
const cluster = dnsLabel("cluster");

export const setAdmissionModeInput = z.object({ name: cluster, mode: z.enum(ADMISSION_MODES) });
export type SetAdmissionModeInput = z.infer<typeof setAdmissionModeInput>;

/** Issue (or rotate) the serving certificate for the Service the API server calls. */
export const issueWebhookCertificateInput = z.object({
  name: cluster,
  service: dnsLabel("Service").default("policyplane-webhook"),
  namespace: dnsLabel("namespace").default("policyplane"),
});
export type IssueWebhookCertificateInput = z.input<typeof issueWebhookCertificateInput>;

export const FAILURE_POLICIES = ["Fail", "Ignore"] as const;
export const webhookConfigurationInput = z.object({
  name: cluster,
  failurePolicy: z.enum(FAILURE_POLICIES).default("Fail"),
  /** Kubernetes allows 1 to 30 seconds. */
  timeoutSeconds: z
    .number()
    .int("Whole seconds, please")
    .min(1, "At least 1 second")
    .max(30, "Kubernetes allows at most 30 seconds")
    .default(5),
});
export type WebhookConfigurationInput = z.input<typeof webhookConfigurationInput>;
