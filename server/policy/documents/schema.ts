// Policyplane's own documents (apiVersion policyplane.io/v1): Policy,
// ComplianceConstraint, Exception. These zod schemas are the contract between
// the seed, the editor, the compiler and the evaluator. Unknown fields are
// errors (strict objects) so a typo never silently widens or narrows a policy.
import { z } from "zod";
import { exceptsOutside, parseCidr } from "../util/ip";
import * as K from "../util/k8s-validation";
import { ADMIN_TIERS, API_VERSION, ENTITIES, PROTOCOLS, TIERS } from "../../../lib/vocabulary";

// The vocabularies are declared once, in lib/ (the console uses them too); the engine's callers keep reading them here.
export { ADMIN_TIERS, API_VERSION, ENTITIES, PROTOCOLS, TIERS, type Tier } from "../../../lib/vocabulary";

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const resourceName = z
  .string()
  .min(1)
  .max(63)
  .regex(dnsLabel, "must be a lowercase DNS label: a-z, 0-9 and '-', starting and ending with a letter or digit");

// Kubernetes label keys (IsQualifiedName) and values (IsValidLabelValue).
const labelKey = K.k8sString(K.qualifiedName);
const labelValue = K.k8sString(K.labelValue);

export const labelSelector = z.strictObject({
  matchLabels: z.record(labelKey, labelValue).optional(),
  matchExpressions: z
    .array(
      z
        .strictObject({
          key: labelKey,
          operator: z.enum(["In", "NotIn", "Exists", "DoesNotExist"]),
          values: z.array(labelValue).optional(),
        })
        .superRefine((e, ctx) => {
          const needsValues = e.operator === "In" || e.operator === "NotIn";
          if (needsValues && (!e.values || e.values.length === 0)) {
            ctx.addIssue({ code: "custom", path: ["values"], message: `operator ${e.operator} needs at least one value` });
          }
          if (!needsValues && e.values && e.values.length > 0) {
            ctx.addIssue({ code: "custom", path: ["values"], message: `operator ${e.operator} takes no values` });
          }
        }),
    )
    .optional(),
});
export type LabelSelector = z.infer<typeof labelSelector>;

/** Which pods: a tenant and/or named namespaces and/or label selectors, all AND'ed. */
export const workloadSelector = z.strictObject({
  tenant: resourceName.optional(),
  namespaces: z.array(resourceName).min(1).optional(),
  namespaceSelector: labelSelector.optional(),
  podSelector: labelSelector.optional(),
});
export type WorkloadSelector = z.infer<typeof workloadSelector>;

// The engine's own parser: what validates here is exactly what the evaluator can match.
export const cidr = z.string().refine((value) => parseCidr(value) !== null, {
  error: (issue) =>
    `"${String(issue.input)}" is not a CIDR: expected an IPv4 or IPv6 address, '/', and a prefix length (0-32 for IPv4, 0-128 for IPv6)`,
});

// A DNS name, or a wildcard whose only '*' is the whole leftmost label (*.stripe.com).
export const dnsName = z
  .string()
  .max(253)
  .regex(
    /^(\*\.)?([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]([-a-z0-9]*[a-z0-9])?$/,
    "must be a DNS name such as api.stripe.com, or a wildcard whose '*' is the whole leftmost label, such as *.stripe.com",
  );

export const peer = z.union([
  z.strictObject({ workloads: workloadSelector }),
  z.strictObject({
    service: z.string().regex(/^[a-z0-9-]+\/[a-z0-9-]+$/, "must be namespace/name, for example payments/ledger"),
  }),
  z.strictObject({ cidr, except: z.array(cidr).optional() }).superRefine((b, ctx) => {
    for (const p of exceptsOutside(b.cidr, b.except ?? [])) ctx.addIssue({ code: "custom", path: ["except", p.index], message: p.message });
  }),
  z.strictObject({ dns: dnsName }),
  z.strictObject({ entity: z.enum(ENTITIES) }),
]);
export type Peer = z.infer<typeof peer>;

// A container port's name (IsValidPortName, IANA_SVC_NAME), as NetworkPolicy and the CRDs take it.
const portName = K.k8sString(K.portName);
const portNumber = z.number().int().min(1, "must be between 1 and 65535").max(65535, "must be between 1 and 65535");

export const portSpec = z
  .strictObject({
    port: z.union([portNumber, portName]),
    endPort: portNumber.optional(),
    protocol: z.enum(PROTOCOLS).default("TCP"),
  })
  .superRefine((p, ctx) => {
    if (p.endPort === undefined) return;
    if (typeof p.port !== "number") ctx.addIssue({ code: "custom", path: ["endPort"], message: "endPort needs a numeric port" });
    else if (p.endPort < p.port)
      ctx.addIssue({ code: "custom", path: ["endPort"], message: `endPort ${p.endPort} is below port ${p.port}` });
  });
export type PortSpec = z.infer<typeof portSpec>;

export const rule = z.strictObject({
  name: resourceName.optional(),
  direction: z.enum(["ingress", "egress"]),
  action: z.enum(["allow", "deny", "pass"]).default("allow"),
  peers: z.array(peer).min(1, "a rule needs at least one peer"),
  ports: z.array(portSpec).optional(),
  /** Egress gateway the traffic must leave through (an Istio egress gateway name). */
  via: resourceName.optional(),
});
export type Rule = z.infer<typeof rule>;

const metadata = z.strictObject({
  name: resourceName,
  tenant: resourceName.optional(),
  owner: z.string().min(1).optional(),
  description: z.string().max(2000).optional(),
  labels: z.record(labelKey, labelValue).optional(),
});

const scope = z.strictObject({
  regions: z.array(resourceName).min(1).optional(),
  clusters: z.array(resourceName).min(1).optional(),
});

export const policyDocument = z
  .strictObject({
    apiVersion: z.literal(API_VERSION),
    kind: z.literal("Policy"),
    metadata,
    spec: z.strictObject({
      tier: z.enum(TIERS),
      scope: scope.optional(),
      /** Admin tiers only: lower numbers are evaluated first (AdminNetworkPolicy priority). */
      priority: z.number().int().min(0).max(1000).optional(),
      subject: workloadSelector,
      rules: z.array(rule),
      /**
       * Namespace tier only: the directions the policy isolates its subject for
       * (NetworkPolicy policyTypes). Default: the directions its rules use. A
       * namespace default deny is `rules: []` with `isolate: [ingress, egress]`.
       */
      isolate: z.array(z.enum(["ingress", "egress"])).optional(),
    }),
  })
  .superRefine((doc, ctx) => {
    const { tier, rules, priority, isolate } = doc.spec;
    if (isolate !== undefined && tier !== "namespace") {
      ctx.addIssue({ code: "custom", path: ["spec", "isolate"], message: `isolate applies to the namespace tier, not ${tier}` });
    }
    rules.forEach((r, i) => {
      if (tier === "namespace" && r.action !== "allow") {
        ctx.addIssue({
          code: "custom",
          path: ["spec", "rules", i, "action"],
          message: `namespace-tier rules can only allow (got ${r.action}); deny belongs in an admin tier or the baseline`,
        });
      }
      if (tier === "baseline" && r.action === "pass") {
        ctx.addIssue({ code: "custom", path: ["spec", "rules", i, "action"], message: "baseline rules can allow or deny, not pass" });
      }
    });
    if (priority !== undefined && !ADMIN_TIERS.includes(tier)) {
      ctx.addIssue({
        code: "custom",
        path: ["spec", "priority"],
        message: `priority applies to the global, regional and cluster tiers, not ${tier}`,
      });
    }
    if (tier === "namespace" && !doc.metadata.tenant) {
      ctx.addIssue({ code: "custom", path: ["metadata", "tenant"], message: "a namespace-tier policy belongs to a tenant" });
    }
  });
export type PolicyDocument = z.infer<typeof policyDocument>;

/** The flow a constraint or an exception is about: who, which direction, which peers. */
const narrowFlow = {
  scope: scope.optional(),
  subject: workloadSelector,
  direction: z.enum(["ingress", "egress"]),
  peers: z.array(peer).min(1),
};

/** A deny-only guardrail no policy, template or exception can override. */
export const complianceConstraintDocument = z.strictObject({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal("ComplianceConstraint"),
  metadata,
  spec: z.strictObject({
    ...narrowFlow,
    ports: z.array(portSpec).optional(),
    /** Traffic through this egress gateway is not denied by the constraint. */
    exceptVia: resourceName.optional(),
    rationale: z.string().min(1),
  }),
});
export type ComplianceConstraintDocument = z.infer<typeof complianceConstraintDocument>;

/** A time-boxed allow for a narrow flow: it counts at an instant t iff startsAt ≤ t < expiresAt (to the millisecond). */
export const exceptionDocument = z.strictObject({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal("Exception"),
  metadata,
  spec: z
    .strictObject({
      ...narrowFlow,
      ports: z.array(portSpec).min(1, "an exception names the ports it opens"),
      justification: z.string().min(10, "say why, in at least 10 characters"),
      /** Optional: the instant the exception starts to count (default: it already does). */
      startsAt: z.iso.datetime({ offset: true }).optional(),
      expiresAt: z.iso.datetime({ offset: true }),
    })
    .superRefine((spec, ctx) => {
      if (spec.startsAt !== undefined && Date.parse(spec.startsAt) >= Date.parse(spec.expiresAt)) {
        ctx.addIssue({
          code: "custom",
          path: ["startsAt"],
          message: `startsAt ${spec.startsAt} must be before expiresAt ${spec.expiresAt}`,
        });
      }
    }),
});
export type ExceptionDocument = z.infer<typeof exceptionDocument>;

export const policyplaneDocument = z.discriminatedUnion("kind", [policyDocument, complianceConstraintDocument, exceptionDocument]);
export type PolicyplaneDocument = z.infer<typeof policyplaneDocument>;

// ---------------------------------------------------------------------------
// Template: a parameterised Policy. The body is a Policy's metadata and spec in
// which any string may hold `{{param}}` placeholders. A string that is exactly
// one placeholder takes the parameter's typed value (a number, a list, ...);
// otherwise the values are spliced into the string. Instantiating a template
// yields a Policy document that is validated by `policyDocument`.

export const PARAMETER_TYPES = ["string", "integer", "boolean", "string-list"] as const;
export type ParameterType = (typeof PARAMETER_TYPES)[number];
export const PLACEHOLDER = /\{\{\s*([a-zA-Z][a-zA-Z0-9_]*)\s*\}\}/g;

export const templateParameter = z
  .strictObject({
    name: z.string().regex(/^[a-zA-Z][a-zA-Z0-9_]*$/, "must be an identifier: a letter, then letters, digits or '_'"),
    type: z.enum(PARAMETER_TYPES),
    description: z.string().min(1),
    default: z.union([z.string(), z.number().int(), z.boolean(), z.array(z.string())]).optional(),
  })
  .superRefine((p, ctx) => {
    if (p.default === undefined) return;
    const ok = {
      string: typeof p.default === "string",
      integer: typeof p.default === "number",
      boolean: typeof p.default === "boolean",
      "string-list": Array.isArray(p.default),
    }[p.type];
    if (!ok) ctx.addIssue({ code: "custom", path: ["default"], message: `default must be of type ${p.type}` });
  });
export type TemplateParameter = z.infer<typeof templateParameter>;

export const templateDocument = z
  .strictObject({
    apiVersion: z.literal(API_VERSION),
    kind: z.literal("Template"),
    metadata,
    spec: z.strictObject({
      parameters: z.array(templateParameter),
      /** The Policy to produce: its metadata and spec, with `{{param}}` placeholders. */
      policy: z.strictObject({
        metadata: z.record(z.string(), z.unknown()),
        spec: z.record(z.string(), z.unknown()),
      }),
    }),
  })
  .superRefine((doc, ctx) => {
    const declared = new Set<string>();
    doc.spec.parameters.forEach((p, i) => {
      if (declared.has(p.name))
        ctx.addIssue({ code: "custom", path: ["spec", "parameters", i, "name"], message: `parameter ${p.name} is declared twice` });
      declared.add(p.name);
    });
    const lists = new Set(doc.spec.parameters.filter((p) => p.type === "string-list").map((p) => p.name));
    // Every placeholder in the body must name a declared parameter (or a forEach variable in scope).
    const visit = (v: unknown, path: (string | number)[], scope: ReadonlySet<string>): void => {
      if (typeof v === "string") {
        for (const m of v.matchAll(PLACEHOLDER)) {
          if (!scope.has(m[1]!))
            ctx.addIssue({
              code: "custom",
              path,
              message: `placeholder {{${m[1]}}} names no declared parameter (declared: ${[...scope].join(", ") || "none"})`,
            });
        }
      } else if (Array.isArray(v)) {
        v.forEach((x, i) => {
          const each = x as { forEach?: unknown; as?: unknown; item?: unknown };
          if (x && typeof x === "object" && "forEach" in each) {
            if (typeof each.forEach !== "string" || !lists.has(each.forEach))
              ctx.addIssue({
                code: "custom",
                path: [...path, i, "forEach"],
                message: `forEach must name a string-list parameter (${[...lists].join(", ") || "none declared"})`,
              });
            if (typeof each.as !== "string" || !/^[a-zA-Z][a-zA-Z0-9_]*$/.test(each.as))
              ctx.addIssue({ code: "custom", path: [...path, i, "as"], message: "forEach needs `as: <variable name>`" });
            else visit(each.item, [...path, i, "item"], new Set([...scope, each.as]));
          } else visit(x, [...path, i], scope);
        });
      } else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) visit(x, [...path, k], scope);
    };
    visit(doc.spec.policy, ["spec", "policy"], declared);
  });
export type TemplateDocument = z.infer<typeof templateDocument>;

/** Every kind a Policyplane YAML file may hold. */
export const anyDocument = z.discriminatedUnion("kind", [
  policyDocument,
  complianceConstraintDocument,
  exceptionDocument,
  templateDocument,
]);
export type AnyDocument = z.infer<typeof anyDocument>;
export const DOCUMENT_KINDS = ["Policy", "ComplianceConstraint", "Exception", "Template"] as const;
