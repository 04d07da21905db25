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

type Ctx = z.RefinementCtx;

function issue(ctx: Ctx, message: string, path: (string | number)[] = []): void {
  ctx.addIssue({ code: "custom", message, path });
}

const PORT_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

export function isPortName(s: string): boolean {
  return s.length >= 1 && s.length <= 15 && PORT_NAME.test(s) && /[a-z]/.test(s) && !s.includes("--");
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
    issue(ctx, `expected a port number between 1 and 65535 or a named port (IANA_SVC_NAME: 1-15 lowercase letters, digits, '-', with at least one letter), got ${JSON.stringify(v)}`);
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

export const protocol = z.enum(["TCP", "UDP", "SCTP"]);

const labelMap = z.record(z.string(), z.string());

export const OPERATORS = ["In", "NotIn", "Exists", "DoesNotExist"] as const;

export const labelSelectorRequirement = z
  .strictObject({
    key: z.string().min(1),
    operator: z.enum(OPERATORS),
    values: z.array(z.string()).nullish(),
  })
  .superRefine((r, ctx) => {
    const n = r.values?.length ?? 0;
    if ((r.operator === "In" || r.operator === "NotIn") && n === 0) issue(ctx, `operator ${r.operator} needs a non-empty values list`, ["values"]);
    if ((r.operator === "Exists" || r.operator === "DoesNotExist") && n > 0) issue(ctx, `operator ${r.operator} takes no values`, ["values"]);
  });

export const labelSelector = z.strictObject({
  matchLabels: labelMap.nullish(),
  matchExpressions: z.array(labelSelectorRequirement).nullish(),
});
export type RawLabelSelector = z.infer<typeof labelSelector>;

/** ObjectMeta: name/namespace/labels validated; everything else kubectl prints is ignored. */
export const objectMeta = z.object({
  name: z.string().min(1),
  namespace: z.string().min(1).nullish(),
  labels: labelMap.nullish(),
  annotations: labelMap.nullish(),
  resourceVersion: z.string().nullish(),
  generation: z.number().nullish(),
  ownerReferences: z.array(z.object({ kind: z.string(), name: z.string() })).nullish(),
});

/** Top-level shape for strict (policy) kinds: only these keys are allowed. */
function policyObject<S extends z.ZodType>(spec: S) {
  return z.strictObject({
    apiVersion: z.string(),
    kind: z.string(),
    metadata: objectMeta,
    spec,
    status: z.unknown().optional(),
  });
}

// ---------------------------------------------------------------------------
// networking.k8s.io/v1 NetworkPolicy

const ipBlock = z
  .strictObject({ cidr, except: z.array(cidr).nullish() })
  .superRefine((b, ctx) => {
    for (const p of exceptsOutside(b.cidr, b.except ?? [])) issue(ctx, p.message, ["except", p.index]);
  });

const npPeer = z
  .strictObject({
    podSelector: labelSelector.nullish(),
    namespaceSelector: labelSelector.nullish(),
    ipBlock: ipBlock.nullish(),
  })
  .superRefine((p, ctx) => {
    if (p.ipBlock && (p.podSelector || p.namespaceSelector)) issue(ctx, "ipBlock cannot be combined with podSelector or namespaceSelector in one peer", ["ipBlock"]);
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
// policy.networking.k8s.io/v1alpha1 AdminNetworkPolicy / BaselineAdminNetworkPolicy

const podsSelector = z.strictObject({ namespaceSelector: labelSelector, podSelector: labelSelector });

function exactlyOne(obj: Record<string, unknown>, keys: string[], ctx: Ctx, what: string): void {
  const present = keys.filter((k) => obj[k] != null);
  if (present.length !== 1) issue(ctx, `${what} needs exactly one of ${keys.join(", ")}${present.length > 1 ? ` (found ${present.join(", ")})` : ""}`);
}

const anpSubject = z
  .strictObject({ namespaces: labelSelector.nullish(), pods: podsSelector.nullish() })
  .superRefine((s, ctx) => exactlyOne(s, ["namespaces", "pods"], ctx, "subject"));

const anpIngressPeer = z
  .strictObject({ namespaces: labelSelector.nullish(), pods: podsSelector.nullish() })
  .superRefine((s, ctx) => exactlyOne(s, ["namespaces", "pods"], ctx, "peer"));

const anpEgressPeer = z
  .strictObject({
    namespaces: labelSelector.nullish(),
    pods: podsSelector.nullish(),
    nodes: labelSelector.nullish(),
    networks: z.array(cidr).min(1).max(25).nullish(),
  })
  .superRefine((s, ctx) => exactlyOne(s, ["namespaces", "pods", "nodes", "networks"], ctx, "peer"));

const anpPort = z
  .strictObject({
    portNumber: z.strictObject({ protocol: protocol.nullish(), port: portNumber }).nullish(),
    namedPort: z.string().nullish(),
    portRange: z
      .strictObject({ protocol: protocol.nullish(), start: portNumber, end: portNumber })
      .superRefine((r, ctx) => {
        if (r.end < r.start) issue(ctx, `end ${r.end} must be greater than or equal to start ${r.start}`, ["end"]);
      })
      .nullish(),
  })
  .superRefine((p, ctx) => {
    exactlyOne(p, ["portNumber", "namedPort", "portRange"], ctx, "port");
    if (p.namedPort != null && !isPortName(p.namedPort)) issue(ctx, `expected a named port (IANA_SVC_NAME), got ${JSON.stringify(p.namedPort)}`, ["namedPort"]);
  });

function anpRule<A extends z.ZodType, P extends z.ZodType>(action: A, peerKey: "from" | "to", peer: P) {
  return z.strictObject({
    name: z.string().max(100).nullish(),
    action,
    [peerKey]: z.array(peer).min(1).max(100),
    ports: z.array(anpPort).min(1).max(100).nullish(),
  } as { name: z.ZodOptional<z.ZodNullable<z.ZodString>>; action: A; ports: z.ZodOptional<z.ZodNullable<z.ZodArray<typeof anpPort>>> } & Record<typeof peerKey, z.ZodArray<P>>);
}

const anpAction = z.enum(["Allow", "Deny", "Pass"]);
const banpAction = z.enum(["Allow", "Deny"]);

export const adminNetworkPolicy = policyObject(
  z.strictObject({
    priority: z.number().int().min(0).max(1000),
    subject: anpSubject,
    ingress: z.array(anpRule(anpAction, "from", anpIngressPeer)).max(100).nullish(),
    egress: z.array(anpRule(anpAction, "to", anpEgressPeer)).max(100).nullish(),
  }),
);
export type RawAdminNetworkPolicy = z.infer<typeof adminNetworkPolicy>;

export const baselineAdminNetworkPolicy = policyObject(
  z.strictObject({
    subject: anpSubject,
    ingress: z.array(anpRule(banpAction, "from", anpIngressPeer)).max(100).nullish(),
    egress: z.array(anpRule(banpAction, "to", anpEgressPeer)).max(100).nullish(),
  }),
).superRefine((o, ctx) => {
  if (o.metadata.name !== "default") issue(ctx, `a BaselineAdminNetworkPolicy must be named "default", got ${JSON.stringify(o.metadata.name)}`, ["metadata", "name"]);
});
export type RawBaselineAdminNetworkPolicy = z.infer<typeof baselineAdminNetworkPolicy>;

// ---------------------------------------------------------------------------
// policy.networking.k8s.io/v1alpha2 ClusterNetworkPolicy

const cnpPortSpec = z
  .strictObject({
    number: portNumber.nullish(),
    range: z
      .strictObject({ start: portNumber, end: portNumber })
      .superRefine((r, ctx) => {
        if (r.end < r.start) issue(ctx, `end ${r.end} must be greater than or equal to start ${r.start}`, ["end"]);
      })
      .nullish(),
  })
  .superRefine((p, ctx) => exactlyOne(p, ["number", "range"], ctx, "destinationPort"));

const cnpProto = z.strictObject({ destinationPort: cnpPortSpec.nullish() });

const cnpProtocol = z
  .strictObject({
    tcp: cnpProto.nullish(),
    udp: cnpProto.nullish(),
    sctp: cnpProto.nullish(),
    destinationNamedPort: z.string().nullish(),
  })
  .superRefine((p, ctx) => {
    exactlyOne(p, ["tcp", "udp", "sctp", "destinationNamedPort"], ctx, "protocol");
    if (p.destinationNamedPort != null && !isPortName(p.destinationNamedPort)) issue(ctx, `expected a named port (IANA_SVC_NAME), got ${JSON.stringify(p.destinationNamedPort)}`, ["destinationNamedPort"]);
  });

// v1alpha2+: an omitted namespaceSelector selects pods in every namespace.
const cnpPodsSelector = z.strictObject({ namespaceSelector: labelSelector.nullish(), podSelector: labelSelector });

const cnpSubject = z
  .strictObject({ namespaces: labelSelector.nullish(), pods: cnpPodsSelector.nullish() })
  .superRefine((s, ctx) => exactlyOne(s, ["namespaces", "pods"], ctx, "subject"));

const cnpIngressPeer = z
  .strictObject({ namespaces: labelSelector.nullish(), pods: cnpPodsSelector.nullish() })
  .superRefine((s, ctx) => exactlyOne(s, ["namespaces", "pods"], ctx, "peer"));

const domainName = z.string().regex(/^(\*\.)?([a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?\.)+[a-zA-Z]{2,}\.?$/, "expected a domain name such as api.example.com or *.example.com");

const cnpEgressPeer = z
  .strictObject({
    namespaces: labelSelector.nullish(),
    pods: cnpPodsSelector.nullish(),
    nodes: labelSelector.nullish(),
    networks: z.array(cidr).min(1).max(25).nullish(),
    domainNames: z.array(domainName).min(1).max(25).nullish(),
  })
  .superRefine((s, ctx) => exactlyOne(s, ["namespaces", "pods", "nodes", "networks", "domainNames"], ctx, "peer"));

const cnpAction = z.enum(["Accept", "Deny", "Pass"]);

export const clusterNetworkPolicy = policyObject(
  z
    .strictObject({
      tier: z.enum(["Admin", "Baseline"]),
      priority: z.number().int().min(0).max(1000),
      subject: cnpSubject,
      ingress: z.array(z.strictObject({ name: z.string().nullish(), action: cnpAction, from: z.array(cnpIngressPeer).min(1), protocols: z.array(cnpProtocol).min(1).nullish() })).max(100).nullish(),
      egress: z.array(z.strictObject({ name: z.string().nullish(), action: cnpAction, to: z.array(cnpEgressPeer).min(1), protocols: z.array(cnpProtocol).min(1).nullish() })).max(100).nullish(),
    })
    .superRefine((s, ctx) => {
      if (s.tier !== "Baseline") return;
      for (const dir of ["ingress", "egress"] as const) {
        (s[dir] ?? []).forEach((r, i) => {
          if (r.action === "Pass") issue(ctx, "action Pass is not allowed in tier Baseline (expected Accept or Deny)", [dir, i, "action"]);
        });
      }
    }),
);
export type RawClusterNetworkPolicy = z.infer<typeof clusterNetworkPolicy>;

// ---------------------------------------------------------------------------
// cilium.io/v2 CiliumNetworkPolicy / CiliumClusterwideNetworkPolicy (L3/L4 subset)

const ciliumSelector = labelSelector;

const ciliumPort = z.strictObject({
  port: z.unknown().transform((v, ctx): number | string => {
    const s = typeof v === "number" ? String(v) : v;
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

const ciliumCidrRule = z.strictObject({
  cidr: cidr.nullish(),
  cidrGroupRef: z.string().nullish(),
  except: z.array(cidr).nullish(),
});

export const CILIUM_ENTITIES = ["world", "cluster", "host", "remote-node", "kube-apiserver", "all", "health", "init", "unmanaged", "ingress", "none"] as const;

const fqdn = z.strictObject({ matchName: z.string().nullish(), matchPattern: z.string().nullish() }).superRefine((f, ctx) => exactlyOne(f, ["matchName", "matchPattern"], ctx, "toFQDNs entry"));

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
  toServices: z.array(z.strictObject({ k8sService: z.strictObject({ serviceName: z.string(), namespace: z.string().nullish() }).nullish(), k8sServiceSelector: z.unknown().optional() })).nullish(),
  toRequires: z.array(ciliumSelector).nullish(),
  toNodes: z.array(ciliumSelector).nullish(),
  toGroups: z.unknown().optional(),
  toPorts: z.array(ciliumPortRule).nullish(),
  icmps: z.unknown().optional(),
  authentication: z.unknown().optional(),
});

export const ciliumRule = z.strictObject({
  endpointSelector: ciliumSelector.nullish(),
  nodeSelector: ciliumSelector.nullish(),
  ingress: z.array(ciliumIngress).nullish(),
  ingressDeny: z.array(ciliumIngress).nullish(),
  egress: z.array(ciliumEgress).nullish(),
  egressDeny: z.array(ciliumEgress).nullish(),
  labels: z.array(z.unknown()).nullish(),
  description: z.string().nullish(),
  enableDefaultDeny: z.strictObject({ ingress: z.boolean().nullish(), egress: z.boolean().nullish() }).nullish(),
});
export type RawCiliumRule = z.infer<typeof ciliumRule>;

export const ciliumPolicy = z
  .strictObject({
    apiVersion: z.string(),
    kind: z.string(),
    metadata: objectMeta,
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

export const namespace = z.object({ metadata: objectMeta });

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
  metadata: objectMeta,
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
  metadata: objectMeta,
  spec: z.object({
    replicas: z.number().int().min(0).nullish(),
    selector: labelSelector.nullish(),
    template: podTemplate,
  }),
});

export const cronJob = z.object({
  metadata: objectMeta,
  spec: z.object({ jobTemplate: z.object({ spec: z.object({ template: podTemplate }) }) }),
});

export const service = z.object({
  metadata: objectMeta,
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
  metadata: objectMeta,
  status: z.object({ addresses: z.array(z.object({ type: z.string(), address: z.string() })).nullish() }).nullish(),
});
