// Inputs of the exception services (tRPC router server/trpc/routers/exceptions.ts).
import { z } from "zod";
import { cidr, dnsName, resourceName } from "@/server/policy/documents/schema";
import { COMMITTEE_FUNCTIONS, PROTOCOLS } from "@/lib/vocabulary";
import { EXCEPTION_STATES, MAX_JUSTIFICATION } from "@/lib/exceptions/vocabulary";

const exceptionNumber = z.number().int().min(1).max(2_147_483_647);
const hash = z.string().regex(/^[0-9a-f]{64}$/, "a content hash is 64 lowercase hex characters");
const reason = z.string().trim().max(2000, "At most 2,000 characters").default("");

const labelKey = z.string().regex(/^([a-z0-9.-]+\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/, "not a label key");
const labelValue = z.string().regex(/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/, "not a label value");
const labels = z.record(labelKey, labelValue).default({});

const NO_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;
/** An instant with its timezone: "2026-12-06T10:00:00Z" or "…+01:00". A local time alone is refused. */
export const instant = (field: string) =>
  z
    .string()
    .trim()
    .superRefine((value, ctx) => {
      if (NO_OFFSET.test(value)) {
        ctx.addIssue({
          code: "custom",
          message: `${field} ${value} has no timezone: add Z (UTC) or an offset such as +01:00, so everyone reads the same instant`,
        });
        return;
      }
      if (!z.iso.datetime({ offset: true }).safeParse(value).success)
        ctx.addIssue({
          code: "custom",
          message: `${field} ${JSON.stringify(value.slice(0, 40))} is not an ISO-8601 instant such as 2026-12-06T10:00:00Z`,
        });
    });

const port = z.object({
  port: z.number().int().min(1, "A port is between 1 and 65535").max(65535, "A port is between 1 and 65535"),
  endPort: z.number().int().min(1).max(65535).optional(),
  protocol: z.enum(PROTOCOLS).default("TCP"),
});

export const exceptionFlowInput = z
  .object({
    direction: z.enum(["egress", "ingress"]).default("egress"),
    source: z.object({ namespace: resourceName, labels }),
    destination: z.discriminatedUnion("kind", [
      z.object({ kind: z.literal("workload"), namespace: resourceName, labels }),
      z.object({
        kind: z.literal("service"),
        service: z.string().regex(/^[a-z0-9-]+\/[a-z0-9-]+$/, "A service is namespace/name, for example payments/ledger"),
      }),
      z.object({ kind: z.literal("cidr"), cidr }),
      z.object({ kind: z.literal("dns"), dns: dnsName }),
    ]),
    ports: z.array(port).min(1, "Name at least one port the exception opens").max(16, "At most 16 ports"),
    clusters: z.array(resourceName).max(50).optional(),
  })
  .superRefine((flow, ctx) => {
    if (flow.direction === "ingress" && flow.destination.kind !== "workload")
      ctx.addIssue({
        code: "custom",
        path: ["direction"],
        message: "An ingress exception opens a workload's ingress: its destination is a workload",
      });
    flow.ports.forEach((p, i) => {
      if (p.endPort !== undefined && p.endPort < p.port)
        ctx.addIssue({ code: "custom", path: ["ports", i, "endPort"], message: `endPort ${p.endPort} is below port ${p.port}` });
    });
  });
export type ExceptionFlowInput = z.infer<typeof exceptionFlowInput>;

const requestFields = {
  title: z.string().trim().min(3, "Give the exception a title of at least 3 characters").max(200, "At most 200 characters"),
  flow: exceptionFlowInput,
  justification: z
    .string()
    .trim()
    .min(10, "Say why, in at least 10 characters")
    .max(MAX_JUSTIFICATION, `A justification is at most ${MAX_JUSTIFICATION.toLocaleString("en")} characters`),
  ticket: z.string().trim().min(1, "Give the ticket that tracks this (e.g. SEC-1234)").max(200, "At most 200 characters"),
  startsAt: instant("startsAt"),
  expiresAt: instant("expiresAt"),
};

export const requestExceptionInput = z.object({ ...requestFields, renews: exceptionNumber.optional() });
export type RequestExceptionInput = z.infer<typeof requestExceptionInput>;

/** What the form shows live: the same checks as a request, without writing. */
export const previewExceptionInput = z.object({
  flow: exceptionFlowInput,
  startsAt: instant("startsAt"),
  expiresAt: instant("expiresAt"),
  renews: exceptionNumber.optional(),
});
export type PreviewExceptionInput = z.infer<typeof previewExceptionInput>;

export const exceptionNumberInput = z.object({ number: exceptionNumber });
export type ExceptionNumberInput = z.infer<typeof exceptionNumberInput>;

export const approveExceptionInput = z.object({ number: exceptionNumber, contentHash: hash, comment: reason });
export type ApproveExceptionInput = z.infer<typeof approveExceptionInput>;

export const decideExceptionInput = z.object({ number: exceptionNumber, reason });
export type DecideExceptionInput = z.infer<typeof decideExceptionInput>;

export const listExceptionsInput = z
  .object({
    states: z.array(z.enum(EXCEPTION_STATES)).max(EXCEPTION_STATES.length).optional(),
    namespace: z.string().trim().max(63).optional(),
    requester: z.string().trim().max(200).optional(),
  })
  .default({});
export type ListExceptionsInput = z.infer<typeof listExceptionsInput>;

const requirement = z.object({
  function: z.enum(COMMITTEE_FUNCTIONS),
  count: z.number().int().min(1).max(20),
  scope: z.enum(["owning-tenant", "organisation"]),
});

/** The exception approval rules (separate from the change rules): each exception must hit at least one. */
export const exceptionRules = z
  .array(
    z.object({
      key: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "A rule key is lowercase letters, digits and dashes"),
      description: z.string().trim().max(500).default(""),
      appliesTo: z.enum(["all", "production"]),
      requirements: z.array(requirement).min(1, "A rule asks for at least one approval").max(8),
    }),
  )
  .min(1, "Keep at least one exception rule: without one nothing could be approved")
  .max(8)
  .superRefine((rules, ctx) => {
    const seen = new Set<string>();
    rules.forEach((r, i) => {
      if (seen.has(r.key)) ctx.addIssue({ code: "custom", path: [i, "key"], message: `Two exception rules have the key ${r.key}` });
      seen.add(r.key);
    });
    if (rules.length > 0 && !rules.some((r) => r.appliesTo === "all"))
      ctx.addIssue({
        code: "custom",
        path: [],
        message:
          "Keep a rule for every exception (applies to all): with production rules only, an exception outside production could never be approved",
      });
  });

/** Which exception rules an exception would hit under (unsaved) rules, and who could approve it today. */
export const previewExceptionRulesInput = z.object({
  rules: exceptionRules,
  production: z.boolean(),
  /** The exception's tenant (its source namespace's), for rules asking for the owning tenant's approvers. */
  tenant: z.string().trim().min(1).max(63).nullable(),
});
export type PreviewExceptionRulesInput = z.infer<typeof previewExceptionRulesInput>;

export const updateExceptionSettingsInput = z.object({
  expectedVersion: z.number().int().min(1),
  maxDurationDays: z.number().int().min(1, "At least 1 day").max(365, "At most 365 days"),
  forbidWholeInternet: z.boolean(),
  forbidWholeNamespaceInProduction: z.boolean(),
  maxRenewals: z.number().int().min(0).max(20),
  rules: exceptionRules,
});
export type UpdateExceptionSettingsInput = z.infer<typeof updateExceptionSettingsInput>;

export const setTestClockInput = z.object({ at: instant("at") });
export type SetTestClockInput = z.infer<typeof setTestClockInput>;

/** The graph's drawn path (`ns/workload`, `dns:name`, `cidr:…`, `entity:world`), to prefill a request. */
export const prefillExceptionInput = z.object({
  from: z.string().trim().min(1).max(300),
  to: z.string().trim().min(1).max(300),
});
export type PrefillExceptionInput = z.infer<typeof prefillExceptionInput>;
