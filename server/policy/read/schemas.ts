/**
 * zod schemas for the Kubernetes kinds the engine reads.
 *
 * Policy kinds use strict objects (an unknown field is an error: a typo in a
 * policy silently changes what it allows). Inventory kinds (Namespace, Pod,
 * workloads, Service, Node) validate only the fields the engine uses and
 * ignore the rest, because real `kubectl get -o yaml` output carries hundreds.
 */
import { z } from "zod";
import { exceptsOutside, parseCidr, isIp } from "../util/ip";
import { describeInput } from "./issues";
import * as K from "../util/k8s-validation";

type Ctx = z.RefinementCtx;

function issue(ctx: Ctx, message: string, path: (string | number)[] = []): void {
  ctx.addIssue({ code: "custom", message, path });
}

export function isPortName(s: string): boolean {
  return K.portName(s) === null;
}

export const portNumber = z.unknown().transform((v, ctx): number => {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > 65535) {
    issue(ctx, `expected a port number between 1 and 65535, got ${describeInput(v)}`);
    return z.NEVER;
  }
  return v;
});

/** Kubernetes IntOrString port: 1-65535 or an IANA_SVC_NAME. */
export const intOrStringPort = z.unknown().transform((v, ctx): number | string => {
  if (typeof v === "number") {
    if (Number.isInteger(v) && v >= 1 && v <= 65535) return v;
    issue(ctx, `expected a port number between 1 and 65535 or a named port, got ${v}`);
    return z.NEVER;
  }
  if (typeof v === "string") {
    if (isPortName(v)) return v;
    issue(
      ctx,
      `expected a port number between 1 and 65535 or a named port (IANA_SVC_NAME: 1-15 lowercase letters, digits, '-', with at least one letter), got ${JSON.stringify(v)}`,
    );
    return z.NEVER;
  }
  issue(ctx, `expected a port number or a port name, got ${describeInput(v)}`);
  return z.NEVER;
});

export const cidr = z.unknown().transform((v, ctx): string => {
  if (typeof v !== "string" || !parseCidr(v)) {
    issue(ctx, `expected a CIDR such as 10.0.0.0/8 or fd00::/64, got ${describeInput(v)}`);
    return z.NEVER;
  }
  return v;
});

export const ipAddress = z.unknown().transform((v, ctx): string => {
  if (typeof v !== "string" || !isIp(v)) {
    issue(ctx, `expected an IPv4 or IPv6 address, got ${describeInput(v)}`);
    return z.NEVER;
  }
  return v;
});

export const PROTOCOLS = ["TCP", "UDP", "SCTP"] as const;
export const protocol = z.enum(PROTOCOLS);

/** ValidateLabels: keys IsQualifiedName, values IsValidLabelValue; issues at `base` + key. */
function checkLabels(m: Record<string, string>, ctx: Ctx, base: string[]): void {
  for (const [k, v] of Object.entries(m)) {
    const key = K.qualifiedName(k);
    if (key) issue(ctx, `${JSON.stringify(k)}: ${key}`, [...base, k]);
    const value = K.labelValue(v);
    if (value) issue(ctx, `${JSON.stringify(v)}: ${value}`, [...base, k]);
  }
}

/** ValidateAnnotations: keys are qualified names (compared lower-cased), at most 256 KiB in all. */
function checkAnnotations(m: Record<string, string>, ctx: Ctx, base: string[]): void {
  let size = 0;
  for (const [k, v] of Object.entries(m)) {
    size += k.length + v.length;
    const why = K.qualifiedName(k.toLowerCase());
    if (why) issue(ctx, `annotation key ${JSON.stringify(k)}: ${why}`, [...base, k]);
  }
  if (size > 256 * 1024) issue(ctx, `annotations must be at most 262144 bytes in all (got ${size})`, base);
}

const stringMap = z.record(z.string(), z.string());
/** Labels as ValidateLabels checks them; one pass over the map, not a schema per key and value (reading thousands of pods stays fast). */
const labelMap = stringMap.superRefine((m, ctx) => checkLabels(m, ctx, []));
/** A CRD's schema types matchLabels as a plain string map: the API server checks nothing more there. */
const crdLabelMap = stringMap;

export const OPERATORS = ["In", "NotIn", "Exists", "DoesNotExist"] as const;

/** Why a requirement cannot be evaluated (an unknown operator, values that do not fit it), or null. */
export function requirementProblem(r: {
  operator: string;
  values?: readonly string[] | null;
}): { field: "operator" | "values"; message: string } | null {
  if (!(OPERATORS as readonly string[]).includes(r.operator))
    return { field: "operator", message: `operator ${JSON.stringify(r.operator)} is not one of ${OPERATORS.join(", ")}` };
  const n = r.values?.length ?? 0;
  if ((r.operator === "In" || r.operator === "NotIn") && n === 0)
    return { field: "values", message: `operator ${r.operator} needs a non-empty values list` };
  if ((r.operator === "Exists" || r.operator === "DoesNotExist") && n > 0)
    return { field: "values", message: `operator ${r.operator} takes no values` };
  return null;
}

function requirementValues(r: { operator: string; values?: readonly string[] | null }, ctx: Ctx): void {
  const p = requirementProblem(r);
  if (p) issue(ctx, p.message, [p.field]);
}

/** ValidateLabelSelectorRequirement: key a qualified name, values label values, operator and values agreeing. */
export const labelSelectorRequirement = z
  .strictObject({
    key: K.k8sString(K.qualifiedName),
    operator: z.enum(OPERATORS),
    values: z.array(K.k8sString(K.labelValue)).nullish(),
  })
  .superRefine(requirementValues);

/** metav1.LabelSelector in a built-in kind (ValidateLabelSelector). */
export const labelSelector = z.strictObject({
  matchLabels: labelMap.nullish(),
  matchExpressions: z.array(labelSelectorRequirement).nullish(),
});
export type RawLabelSelector = z.infer<typeof labelSelector>;

/**
 * A label selector inside a CRD: the schema requires key and operator to be strings and nothing
 * more (no enum, no rule on values), so label syntax, an unknown operator or values that do not
 * fit it are not errors there; ./advisories.ts warns that such a requirement matches nothing.
 */
const crdRequirement = z.strictObject({ key: z.string(), operator: z.string(), values: z.array(z.string()).nullish() });
export const crdLabelSelector = z.strictObject({
  matchLabels: crdLabelMap.nullish(),
  matchExpressions: z.array(crdRequirement).nullish(),
});

/**
 * ObjectMeta as ValidateObjectMeta checks it: the name by the kind's rule (`nameRule`), the
 * namespace a DNS-1123 label, labels and annotation keys; everything else kubectl prints is ignored.
 */
export function objectMeta(nameRule: (s: string) => string | null = K.dns1123Subdomain) {
  return z
    .object({
      name: z.string().min(1),
      namespace: z.string().nullish(),
      labels: stringMap.nullish(),
      annotations: stringMap.nullish(),
      resourceVersion: z.string().nullish(),
      generation: z.number().nullish(),
      ownerReferences: z.array(z.object({ kind: z.string(), name: z.string() })).nullish(),
    })
    .superRefine((m, ctx) => {
      // One check per object (names, namespace, labels, annotations) keeps the reader fast.
      const name = nameRule(m.name);
      if (name) issue(ctx, `${JSON.stringify(m.name)}: ${name}`, ["name"]);
      const namespace = m.namespace == null ? null : K.dns1123Label(m.namespace);
      if (namespace) issue(ctx, `${JSON.stringify(m.namespace)}: ${namespace}`, ["namespace"]);
      if (m.labels) checkLabels(m.labels, ctx, ["labels"]);
      if (m.annotations) checkAnnotations(m.annotations, ctx, ["annotations"]);
    });
}
const subdomainMeta = objectMeta();

/** Top-level shape for strict (policy) kinds: only these keys are allowed. */
function policyObject<S extends z.ZodType>(spec: S) {
  return z.strictObject({
    apiVersion: z.string(),
    kind: z.string(),
    metadata: subdomainMeta,
    spec,
    status: z.unknown().optional(),
  });
}

// ---------------------------------------------------------------------------
// networking.k8s.io/v1 NetworkPolicy

const ipBlock = z.strictObject({ cidr, except: z.array(cidr).nullish() }).superRefine((b, ctx) => {
  for (const p of exceptsOutside(b.cidr, b.except ?? [])) issue(ctx, p.message, ["except", p.index]);
});

const npPeer = z
  .strictObject({
    podSelector: labelSelector.nullish(),
    namespaceSelector: labelSelector.nullish(),
    ipBlock: ipBlock.nullish(),
  })
  .superRefine((p, ctx) => {
    if (p.ipBlock && (p.podSelector || p.namespaceSelector))
      issue(ctx, "ipBlock cannot be combined with podSelector or namespaceSelector in one peer", ["ipBlock"]);
    if (!p.ipBlock && !p.podSelector && !p.namespaceSelector) issue(ctx, "a peer needs podSelector, namespaceSelector or ipBlock");
  });

const npPort = z
  .strictObject({
    protocol: protocol.nullish(),
    port: intOrStringPort.nullish(),
    endPort: portNumber.nullish(),
  })
  .superRefine((p, ctx) => {
    if (p.endPort != null) {
      if (p.port == null) issue(ctx, "endPort needs port", ["endPort"]);
      else if (typeof p.port !== "number") issue(ctx, "endPort cannot be used with a named port", ["endPort"]);
      else if (p.endPort < p.port) issue(ctx, `endPort ${p.endPort} must be greater than or equal to port ${p.port}`, ["endPort"]);
    }
  });

export const networkPolicy = policyObject(
  z.strictObject({
    podSelector: labelSelector.nullish(),
    policyTypes: z.array(z.enum(["Ingress", "Egress"])).nullish(),
    ingress: z.array(z.strictObject({ from: z.array(npPeer).nullish(), ports: z.array(npPort).nullish() }).nullable()).nullish(),
    egress: z.array(z.strictObject({ to: z.array(npPeer).nullish(), ports: z.array(npPort).nullish() }).nullable()).nullish(),
  }),
);
export type RawNetworkPolicy = z.infer<typeof networkPolicy>;

// ---------------------------------------------------------------------------
// policy.networking.k8s.io: v1alpha1 AdminNetworkPolicy / BaselineAdminNetworkPolicy (CRDs at
// v0.1.8) and v1alpha2 ClusterNetworkPolicy. Bounds, enums, patterns and CEL rules follow the
// upstream CRDs (facts in ../__fixtures__/upstream/*.facts.yaml); checks stricter than the CRDs are
// warnings (./advisories.ts), never errors.

function exactlyOne(obj: Record<string, unknown>, keys: string[], ctx: Ctx, what: string): void {
  const present = keys.filter((k) => obj[k] != null);
  if (present.length !== 1)
    issue(ctx, `${what} needs exactly one of ${keys.join(", ")}${present.length > 1 ? ` (found ${present.join(", ")})` : ""}`);
}

/** A CRD string list of CIDRs: `maxLength: 43` and CEL `isCIDR(self)` on each item. */
const crdNetworks = z
  .array(cidr.pipe(z.string().max(43)))
  .min(1)
  .max(25);

/** The CRDs' domainNames pattern, as written upstream (its `A-z` also admits `[\]^_` and the backquote). */
export const UPSTREAM_DOMAIN_NAME = /^(\*\.)?([a-zA-z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\.)+[a-zA-z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\.?$/;
const domainName = z.string().regex(UPSTREAM_DOMAIN_NAME, "expected a domain name such as api.example.com or *.example.com");

/** CEL on egress rules: a named port cannot go with networks, nodes or domainNames peers. */
function namedPortPeers(r: { to: Record<string, unknown>[] }, named: boolean, ctx: Ctx, portsKey: string): void {
  if (named && r.to.some((p) => p.networks != null || p.nodes != null || p.domainNames != null)) {
    issue(ctx, "networks/nodes/domainNames peers cannot be used with a named port, since there are no named ports for them", [portsKey]);
  }
}

const podsSelector = z.strictObject({ namespaceSelector: crdLabelSelector, podSelector: crdLabelSelector });

const anpSubject = z
  .strictObject({ namespaces: crdLabelSelector.nullish(), pods: podsSelector.nullish() })
  .superRefine((s, ctx) => exactlyOne(s, ["namespaces", "pods"], ctx, "subject"));

const anpIngressPeer = z
  .strictObject({ namespaces: crdLabelSelector.nullish(), pods: podsSelector.nullish() })
  .superRefine((s, ctx) => exactlyOne(s, ["namespaces", "pods"], ctx, "peer"));

function anpEgressPeer(withDomainNames: boolean) {
  const keys = ["namespaces", "pods", "nodes", "networks", ...(withDomainNames ? ["domainNames"] : [])];
  return z
    .strictObject({
      namespaces: crdLabelSelector.nullish(),
      pods: podsSelector.nullish(),
      nodes: crdLabelSelector.nullish(),
      networks: crdNetworks.nullish(),
      ...(withDomainNames ? { domainNames: z.array(domainName).min(1).max(25).nullish() } : {}),
    })
    .superRefine((s, ctx) => exactlyOne(s, keys, ctx, "peer"));
}

const anpPort = z
  .strictObject({
    // protocol is required with `default: TCP`, so an omitted one is defaulted, not refused.
    // The CRD types protocol as a string without an enum: an unknown one is a warning (./advisories.ts).
    portNumber: z.strictObject({ protocol: z.string().nullish(), port: portNumber }).nullish(),
    namedPort: z.string().nullish(),
    portRange: z.strictObject({ protocol: z.string().nullish(), start: portNumber, end: portNumber }).nullish(),
  })
  .superRefine((p, ctx) => exactlyOne(p, ["portNumber", "namedPort", "portRange"], ctx, "port"));

const ruleName = z.string().max(100).nullish();

function anpRules<A extends z.ZodType>(action: A, withDomainNames: boolean) {
  const ports = z.array(anpPort).min(1).max(100).nullish();
  const named = (ps: z.infer<typeof ports>) => (ps ?? []).some((p) => p.namedPort != null);
  return {
    ingress: z
      .array(z.strictObject({ name: ruleName, action, from: z.array(anpIngressPeer).min(1).max(100), ports }))
      .max(100)
      .nullish(),
    egress: z
      .array(
        z
          .strictObject({ name: ruleName, action, to: z.array(anpEgressPeer(withDomainNames)).min(1).max(100), ports })
          .superRefine((r, ctx) => namedPortPeers(r, named(r.ports), ctx, "ports")),
      )
      .max(100)
      .nullish(),
  };
}

export const adminNetworkPolicy = policyObject(
  z.strictObject({
    priority: z.number().int().min(0).max(1000),
    subject: anpSubject,
    ...anpRules(z.enum(["Allow", "Deny", "Pass"]), true),
  }),
);
export type RawAdminNetworkPolicy = z.infer<typeof adminNetworkPolicy>;

export const baselineAdminNetworkPolicy = policyObject(
  z.strictObject({
    subject: anpSubject,
    ...anpRules(z.enum(["Allow", "Deny"]), false),
  }),
).superRefine((o, ctx) => {
  // CEL on the object: self.metadata.name == 'default'.
  if (o.metadata.name !== "default")
    issue(ctx, `a BaselineAdminNetworkPolicy must be named "default", got ${JSON.stringify(o.metadata.name)}`, ["metadata", "name"]);
});
export type RawBaselineAdminNetworkPolicy = z.infer<typeof baselineAdminNetworkPolicy>;

const cnpPortSpec = z
  .strictObject({
    number: portNumber.nullish(),
    range: z
      .strictObject({ start: portNumber, end: portNumber })
      .superRefine((r, ctx) => {
        // CEL: self.start < self.end
        if (r.start >= r.end) issue(ctx, `start ${r.start} must be less than end ${r.end}`);
      })
      .nullish(),
  })
  .superRefine((p, ctx) => exactlyOne(p, ["number", "range"], ctx, "destinationPort"));

// `minProperties: 1`: `tcp: {}` is refused; say a port or use another protocol form.
const cnpProto = z.strictObject({ destinationPort: cnpPortSpec.nullish() }).superRefine((p, ctx) => {
  if (p.destinationPort == null) issue(ctx, "expected destinationPort (an empty protocol entry is refused by the CRD)");
});

const cnpProtocol = z
  .strictObject({
    tcp: cnpProto.nullish(),
    udp: cnpProto.nullish(),
    sctp: cnpProto.nullish(),
    destinationNamedPort: z.string().nullish(),
  })
  .superRefine((p, ctx) => exactlyOne(p, ["tcp", "udp", "sctp", "destinationNamedPort"], ctx, "protocol"));

// v1alpha2+: an omitted namespaceSelector selects pods in every namespace.
const cnpPodsSelector = z.strictObject({ namespaceSelector: crdLabelSelector.nullish(), podSelector: crdLabelSelector });

const cnpSubject = z
  .strictObject({ namespaces: crdLabelSelector.nullish(), pods: cnpPodsSelector.nullish() })
  .superRefine((s, ctx) => exactlyOne(s, ["namespaces", "pods"], ctx, "subject"));

const cnpIngressPeer = z
  .strictObject({ namespaces: crdLabelSelector.nullish(), pods: cnpPodsSelector.nullish() })
  .superRefine((s, ctx) => exactlyOne(s, ["namespaces", "pods"], ctx, "peer"));

const cnpEgressPeer = z
  .strictObject({
    namespaces: crdLabelSelector.nullish(),
    pods: cnpPodsSelector.nullish(),
    nodes: crdLabelSelector.nullish(),
    networks: crdNetworks.nullish(),
    domainNames: z.array(domainName).min(1).max(25).nullish(),
  })
  .superRefine((s, ctx) => exactlyOne(s, ["namespaces", "pods", "nodes", "networks", "domainNames"], ctx, "peer"));

const cnpAction = z.enum(["Accept", "Deny", "Pass"]);
const cnpProtocols = z.array(cnpProtocol).min(1).max(25).nullish();

export const clusterNetworkPolicy = policyObject(
  z.strictObject({
    tier: z.enum(["Admin", "Baseline"]),
    priority: z.number().int().min(0).max(1000),
    subject: cnpSubject,
    ingress: z
      .array(z.strictObject({ name: ruleName, action: cnpAction, from: z.array(cnpIngressPeer).min(1).max(25), protocols: cnpProtocols }))
      .max(25)
      .nullish(),
    egress: z
      .array(
        z
          .strictObject({ name: ruleName, action: cnpAction, to: z.array(cnpEgressPeer).min(1).max(25), protocols: cnpProtocols })
          .superRefine((r, ctx) =>
            namedPortPeers(
              r,
              (r.protocols ?? []).some((p) => p.destinationNamedPort != null),
              ctx,
              "protocols",
            ),
          ),
      )
      .max(25)
      .nullish(),
  }),
);
export type RawClusterNetworkPolicy = z.infer<typeof clusterNetworkPolicy>;
// ---------------------------------------------------------------------------
// cilium.io/v2 CiliumNetworkPolicy / CiliumClusterwideNetworkPolicy (L3/L4 subset)

// Cilium's CRD checks matchLabels values (IsValidLabelValue's pattern and length) but not keys
// (they carry source prefixes such as `k8s:`).
const ciliumSelector = z.strictObject({
  matchLabels: z.record(z.string(), K.k8sString(K.labelValue)).nullish(),
  // Cilium's CRD does enumerate the operators.
  matchExpressions: z.array(crdRequirement.extend({ operator: z.enum(OPERATORS) })).nullish(),
});

const ciliumPort = z.strictObject({
  port: z.unknown().transform((v, ctx): number | string => {
    if (typeof v === "number") {
      issue(ctx, `expected a string (the CRD types port as a string: write "${v}")`);
      return z.NEVER;
    }
    const s = v;
    if (typeof s === "string") {
      if (/^\d+$/.test(s)) {
        const n = Number(s);
        if (n >= 0 && n <= 65535) return n; // Cilium: port 0 = all ports
        issue(ctx, `expected a port number between 0 and 65535, got ${s}`);
        return z.NEVER;
      }
      if (isPortName(s)) return s;
    }
    issue(ctx, `expected a port number or a named port, got ${describeInput(v)}`);
    return z.NEVER;
  }),
  endPort: portNumber.nullish(),
  protocol: z.enum(["TCP", "UDP", "SCTP", "ANY"]).nullish(),
});

const ciliumPortRule = z.strictObject({
  ports: z.array(ciliumPort).nullish(),
  // L7 rules (http, dns, kafka, …) are accepted but only their L4 part is evaluated.
  rules: z.record(z.string(), z.unknown()).nullish(),
  terminatingTLS: z.unknown().optional(),
  originatingTLS: z.unknown().optional(),
  serverNames: z.array(z.string()).nullish(),
  listener: z.unknown().optional(),
});

const ciliumCidrRule = z
  .strictObject({
    cidr: cidr.nullish(),
    cidrGroupRef: K.k8sString(K.dns1123Subdomain).nullish(),
    except: z.array(cidr).nullish(),
  })
  .superRefine((c, ctx) => exactlyOne(c, ["cidr", "cidrGroupRef"], ctx, "toCIDRSet/fromCIDRSet entry"));

export const CILIUM_ENTITIES = [
  "world",
  "cluster",
  "host",
  "remote-node",
  "kube-apiserver",
  "all",
  "health",
  "init",
  "unmanaged",
  "ingress",
  "none",
] as const;

// The CRD's patterns; it does not require one of the two (./manifests.ts warns when neither or both are given).
const fqdn = z.strictObject({
  matchName: z
    .string()
    .regex(/^([-a-zA-Z0-9_]+[.]?)+$/, "expected a DNS name (letters, digits, '-', '_' and '.')")
    .nullish(),
  matchPattern: z
    .string()
    .regex(/^([-a-zA-Z0-9_*]+[.]?)+$/, "expected a DNS name pattern (letters, digits, '-', '_', '*' and '.')")
    .nullish(),
});

const ciliumIngress = z.strictObject({
  fromEndpoints: z.array(ciliumSelector).nullish(),
  fromCIDR: z.array(cidr).nullish(),
  fromCIDRSet: z.array(ciliumCidrRule).nullish(),
  fromEntities: z.array(z.enum(CILIUM_ENTITIES)).nullish(),
  fromRequires: z.array(ciliumSelector).nullish(),
  fromNodes: z.array(ciliumSelector).nullish(),
  toPorts: z.array(ciliumPortRule).nullish(),
  icmps: z.unknown().optional(),
  authentication: z.unknown().optional(),
});

const ciliumEgress = z.strictObject({
  toEndpoints: z.array(ciliumSelector).nullish(),
  toCIDR: z.array(cidr).nullish(),
  toCIDRSet: z.array(ciliumCidrRule).nullish(),
  toEntities: z.array(z.enum(CILIUM_ENTITIES)).nullish(),
  toFQDNs: z.array(fqdn).nullish(),
  toServices: z
    .array(
      z.strictObject({
        k8sService: z.strictObject({ serviceName: z.string(), namespace: z.string().nullish() }).nullish(),
        k8sServiceSelector: z.unknown().optional(),
      }),
    )
    .nullish(),
  toRequires: z.array(ciliumSelector).nullish(),
  toNodes: z.array(ciliumSelector).nullish(),
  toGroups: z.unknown().optional(),
  toPorts: z.array(ciliumPortRule).nullish(),
  icmps: z.unknown().optional(),
  authentication: z.unknown().optional(),
});

export const ciliumRule = z
  .strictObject({
    endpointSelector: ciliumSelector.nullish(),
    nodeSelector: ciliumSelector.nullish(),
    ingress: z.array(ciliumIngress).nullish(),
    ingressDeny: z.array(ciliumIngress).nullish(),
    egress: z.array(ciliumEgress).nullish(),
    egressDeny: z.array(ciliumEgress).nullish(),
    labels: z.array(z.unknown()).nullish(),
    description: z.string().nullish(),
    enableDefaultDeny: z.strictObject({ ingress: z.boolean().nullish(), egress: z.boolean().nullish() }).nullish(),
  })
  .superRefine((r, ctx) => exactlyOne(r, ["endpointSelector", "nodeSelector"], ctx, "a Cilium rule")); // the CRD's oneOf
export type RawCiliumRule = z.infer<typeof ciliumRule>;

export const ciliumPolicy = z
  .strictObject({
    apiVersion: z.string(),
    kind: z.string(),
    metadata: subdomainMeta,
    spec: ciliumRule.nullish(),
    specs: z.array(ciliumRule).nullish(),
    status: z.unknown().optional(),
    // Cilium's own examples put a description at the top level; tolerated.
    description: z.string().nullish(),
  })
  .superRefine((o, ctx) => {
    if (!o.spec && !o.specs) issue(ctx, "needs spec or specs");
  });
export type RawCiliumPolicy = z.infer<typeof ciliumPolicy>;

// ---------------------------------------------------------------------------
// Inventory kinds (lenient: unknown fields ignored).

export const namespace = z.object({ metadata: objectMeta(K.dns1123Label) });

const containerPort = z.object({
  containerPort: portNumber,
  name: z
    .string()
    .nullish()
    .superRefine((n, ctx) => {
      if (n != null && !isPortName(n)) issue(ctx, `expected a port name (IANA_SVC_NAME), got ${JSON.stringify(n)}`);
    }),
  protocol: protocol.nullish(),
});

const container = z.object({ name: z.string().nullish(), ports: z.array(containerPort).nullish(), restartPolicy: z.string().nullish() });

export const podSpec = z.object({
  containers: z.array(container).nullish(),
  initContainers: z.array(container).nullish(),
  hostNetwork: z.boolean().nullish(),
  nodeName: z.string().nullish(),
});

export const pod = z.object({
  metadata: subdomainMeta,
  spec: podSpec.nullish(),
  status: z
    .object({
      podIP: ipAddress.nullish(),
      podIPs: z.array(z.object({ ip: ipAddress })).nullish(),
      phase: z.string().nullish(),
    })
    .nullish(),
});

const podTemplate = z.object({
  metadata: z.object({ labels: labelMap.nullish() }).nullish(),
  spec: podSpec.nullish(),
});

export const workload = z.object({
  metadata: subdomainMeta,
  spec: z.object({
    replicas: z.number().int().min(0).nullish(),
    selector: labelSelector.nullish(),
    template: podTemplate,
  }),
});

export const cronJob = z.object({
  metadata: subdomainMeta,
  spec: z.object({ jobTemplate: z.object({ spec: z.object({ template: podTemplate }) }) }),
});

export const service = z.object({
  metadata: objectMeta(K.dns1035Label),
  spec: z
    .object({
      selector: labelMap.nullish(),
      clusterIP: z.string().nullish(),
      clusterIPs: z.array(z.string()).nullish(),
      ports: z
        .array(
          z.object({
            name: z.string().nullish(),
            port: portNumber,
            targetPort: intOrStringPort.nullish(),
            protocol: protocol.nullish(),
          }),
        )
        .nullish(),
    })
    .nullish(),
});

export const node = z.object({
  metadata: subdomainMeta,
  status: z.object({ addresses: z.array(z.object({ type: z.string(), address: z.string() })).nullish() }).nullish(),
});
