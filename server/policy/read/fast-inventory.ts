/**
 * Zod-free checks for the bulk kinds (Namespace, Pod, Service, NetworkPolicy): a cluster's
 * manifests are mostly these, and validating thousands of them through zod costs a third of reading.
 *
 * Each check accepts only the plain common shape, applies the same rules as the kind's schema in
 * ./schemas.ts and returns exactly what that schema's parse returns (unknown fields stripped,
 * absent keys absent, null kept). On any doubt — a wrong type, an invalid value, anything it does
 * not model — it returns undefined and the caller validates with the zod schema, so every error
 * message and position is zod's. fast-inventory.test.ts holds the two to deep-equal outputs.
 */
import type { z } from "zod";
import * as K from "../util/k8s-validation";
import { exceptsOutside, isIp, parseCidr } from "../util/ip";
import { OPERATORS, PROTOCOLS, isPortName, requirementProblem } from "./schemas";
import type * as S from "./schemas";

/** A check's answer when the value is not the plain shape (or not valid): let zod decide. */
const DOUBT = Symbol("doubt");
type Out<T> = T | typeof DOUBT;
type Obj = Record<string, unknown>;

/** A plain mapping as a YAML or JSON reader builds it (zod's object/record checks accept it). */
function plain(v: unknown): v is Obj {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * A `.nullish()` field: absent stays absent, null stays null, anything else goes through `check`.
 * An own key holding undefined, or a key reached through the prototype, is a doubt (zod's `in`
 * test and ours would have to agree on it).
 */
function nullish<T>(input: Obj, out: Obj, key: string, check: (v: unknown) => Out<T>): boolean {
  if (!Object.prototype.hasOwnProperty.call(input, key)) return !(key in input);
  const v = input[key];
  if (v === null) {
    out[key] = null;
    return true;
  }
  if (v === undefined) return false;
  const r = check(v);
  if (r === DOUBT) return false;
  out[key] = r;
  return true;
}

/** A required field (present, not null). */
function required<T>(input: Obj, out: Obj, key: string, check: (v: unknown) => Out<T>): boolean {
  if (!Object.prototype.hasOwnProperty.call(input, key)) return false;
  const r = check(input[key]);
  if (r === DOUBT) return false;
  out[key] = r;
  return true;
}

const str = (v: unknown): Out<string> => (typeof v === "string" ? v : DOUBT);
const bool = (v: unknown): Out<boolean> => (typeof v === "boolean" ? v : DOUBT);
const finite = (v: unknown): Out<number> => (typeof v === "number" && Number.isFinite(v) ? v : DOUBT);
const port = (v: unknown): Out<number> => (typeof v === "number" && Number.isInteger(v) && v >= 1 && v <= 65535 ? v : DOUBT);
const protocol = (v: unknown): Out<string> => ((PROTOCOLS as readonly unknown[]).includes(v) ? (v as string) : DOUBT);
const portName = (v: unknown): Out<string> => (typeof v === "string" && isPortName(v) ? v : DOUBT);
const ip = (v: unknown): Out<string> => (typeof v === "string" && isIp(v) ? v : DOUBT);
const intOrStringPort = (v: unknown): Out<number | string> => (typeof v === "number" ? port(v) : portName(v));

function array<T>(check: (v: unknown) => Out<T>): (v: unknown) => Out<T[]> {
  return (v) => {
    if (!Array.isArray(v)) return DOUBT;
    const out: T[] = new Array<T>(v.length);
    for (let i = 0; i < v.length; i++) {
      const r = check(v[i]);
      if (r === DOUBT) return DOUBT;
      out[i] = r;
    }
    return out;
  };
}

/** A string → string map (z.record); `entry` returns false for a pair its schema would refuse. */
function stringMap(v: unknown, entry: (key: string, value: string) => boolean): Out<Record<string, string>> {
  if (!plain(v)) return DOUBT;
  const out: Record<string, string> = {};
  for (const k of Object.keys(v)) {
    const value = v[k];
    if (k === "__proto__" || typeof value !== "string" || !entry(k, value)) return DOUBT;
    out[k] = value;
  }
  return out;
}

/** ValidateLabels as schemas.ts checkLabels applies it. */
const label = (k: string, value: string) => K.qualifiedName(k) === null && K.labelValue(value) === null;
const labels = (v: unknown) => stringMap(v, label);

/** ValidateAnnotations as schemas.ts checkAnnotations applies it. */
function annotations(v: unknown): Out<Record<string, string>> {
  let size = 0;
  const out = stringMap(v, (k, value) => {
    size += k.length + value.length;
    return K.qualifiedName(k.toLowerCase()) === null;
  });
  return size > 256 * 1024 ? DOUBT : out;
}

const ownerReference = (v: unknown): Out<Obj> => {
  if (!plain(v)) return DOUBT;
  const out: Obj = {};
  return required(v, out, "kind", str) && required(v, out, "name", str) ? out : DOUBT;
};

/** schemas.ts objectMeta(nameRule). */
function objectMeta(nameRule: (s: string) => string | null): (v: unknown) => Out<Obj> {
  const name = (v: unknown): Out<string> => (typeof v === "string" && v.length > 0 && nameRule(v) === null ? v : DOUBT);
  const namespace = (v: unknown): Out<string> => (typeof v === "string" && K.dns1123Label(v) === null ? v : DOUBT);
  const owners = array(ownerReference);
  return (v) => {
    if (!plain(v)) return DOUBT;
    const out: Obj = {};
    const ok =
      required(v, out, "name", name) &&
      nullish(v, out, "namespace", namespace) &&
      nullish(v, out, "labels", labels) &&
      nullish(v, out, "annotations", annotations) &&
      nullish(v, out, "resourceVersion", str) &&
      nullish(v, out, "generation", finite) &&
      nullish(v, out, "ownerReferences", owners);
    return ok ? out : DOUBT;
  };
}

function shape(fields: (v: Obj, out: Obj) => boolean): (v: unknown) => Out<Obj> {
  return (v) => {
    if (!plain(v)) return DOUBT;
    const out: Obj = {};
    return fields(v, out) ? out : DOUBT;
  };
}

/** z.strictObject: a key outside `keys` is an error there, so a doubt here. */
function strict(keys: readonly string[], fields: (v: Obj, out: Obj) => boolean): (v: unknown) => Out<Obj> {
  const allowed = new Set(keys);
  return (v) => {
    if (!plain(v)) return DOUBT;
    for (const k in v) if (!allowed.has(k)) return DOUBT;
    const out: Obj = {};
    return fields(v, out) ? out : DOUBT;
  };
}

const containerPort = shape(
  (v, out) => required(v, out, "containerPort", port) && nullish(v, out, "name", portName) && nullish(v, out, "protocol", protocol),
);
const containerPorts = array(containerPort);
const container = shape(
  (v, out) => nullish(v, out, "name", str) && nullish(v, out, "ports", containerPorts) && nullish(v, out, "restartPolicy", str),
);
const containers = array(container);
const podSpec = shape(
  (v, out) =>
    nullish(v, out, "containers", containers) &&
    nullish(v, out, "initContainers", containers) &&
    nullish(v, out, "hostNetwork", bool) &&
    nullish(v, out, "nodeName", str),
);
const podIPs = array(shape((v, out) => required(v, out, "ip", ip)));
const podStatus = shape((v, out) => nullish(v, out, "podIP", ip) && nullish(v, out, "podIPs", podIPs) && nullish(v, out, "phase", str));

const subdomainMeta = objectMeta(K.dns1123Subdomain);
const namespaceMeta = objectMeta(K.dns1123Label);
const serviceMeta = objectMeta(K.dns1035Label);

const servicePort = shape(
  (v, out) =>
    nullish(v, out, "name", str) &&
    required(v, out, "port", port) &&
    nullish(v, out, "targetPort", intOrStringPort) &&
    nullish(v, out, "protocol", protocol),
);
const servicePorts = array(servicePort);
const strings = array(str);
const serviceSpec = shape(
  (v, out) =>
    nullish(v, out, "selector", labels) &&
    nullish(v, out, "clusterIP", str) &&
    nullish(v, out, "clusterIPs", strings) &&
    nullish(v, out, "ports", servicePorts),
);

// networking.k8s.io/v1 NetworkPolicy (schemas.ts networkPolicy: strict objects throughout).

const labelValues = array((x) => (typeof x === "string" && K.labelValue(x) === null ? x : DOUBT));
const requirement = strict(["key", "operator", "values"], (v, out) => {
  const ok =
    required(v, out, "key", (k) => (typeof k === "string" && K.qualifiedName(k) === null ? k : DOUBT)) &&
    required(v, out, "operator", (o) => ((OPERATORS as readonly unknown[]).includes(o) ? o : DOUBT)) &&
    nullish(v, out, "values", labelValues);
  return ok && requirementProblem(out as { operator: string; values?: string[] | null }) === null;
});
const requirements = array(requirement);
const labelSelector = strict(
  ["matchLabels", "matchExpressions"],
  (v, out) => nullish(v, out, "matchLabels", labels) && nullish(v, out, "matchExpressions", requirements),
);
const cidr = (v: unknown): Out<string> => (typeof v === "string" && parseCidr(v) ? v : DOUBT);
const cidrs = array(cidr);
const ipBlock = strict(
  ["cidr", "except"],
  (v, out) =>
    required(v, out, "cidr", cidr) &&
    nullish(v, out, "except", cidrs) &&
    exceptsOutside(out.cidr as string, (out.except as string[] | null | undefined) ?? []).length === 0,
);
const npPeer = strict(["podSelector", "namespaceSelector", "ipBlock"], (v, out) => {
  if (!(
    nullish(v, out, "podSelector", labelSelector) &&
    nullish(v, out, "namespaceSelector", labelSelector) &&
    nullish(v, out, "ipBlock", ipBlock)
  ))
    return false;
  const selects = out.podSelector != null || out.namespaceSelector != null;
  return out.ipBlock != null ? !selects : selects;
});
const npPort = strict(["protocol", "port", "endPort"], (v, out) => {
  if (!(nullish(v, out, "protocol", protocol) && nullish(v, out, "port", intOrStringPort) && nullish(v, out, "endPort", port)))
    return false;
  const end = out.endPort as number | null | undefined;
  return end == null || (typeof out.port === "number" && end >= out.port);
});
const npPeers = array(npPeer);
const npPorts = array(npPort);
/** An ingress or egress rule; the list's items may be null. */
const npRule = (peers: "from" | "to") => {
  const rule = strict([peers, "ports"], (v, out) => nullish(v, out, peers, npPeers) && nullish(v, out, "ports", npPorts));
  return array((v) => (v === null ? null : rule(v)));
};
const ingressRules = npRule("from");
const egressRules = npRule("to");
const policyTypes = array((t) => (t === "Ingress" || t === "Egress" ? t : DOUBT));
const npSpec = strict(
  ["podSelector", "policyTypes", "ingress", "egress"],
  (v, out) =>
    nullish(v, out, "podSelector", labelSelector) &&
    nullish(v, out, "policyTypes", policyTypes) &&
    nullish(v, out, "ingress", ingressRules) &&
    nullish(v, out, "egress", egressRules),
);
const networkPolicyCheck = strict(["apiVersion", "kind", "metadata", "spec", "status"], (v, out) => {
  const ok =
    required(v, out, "apiVersion", str) &&
    required(v, out, "kind", str) &&
    required(v, out, "metadata", subdomainMeta) &&
    required(v, out, "spec", npSpec);
  if (!ok) return false;
  // status: z.unknown().optional() passes any value through as it is.
  if (Object.prototype.hasOwnProperty.call(v, "status")) {
    if (v.status === undefined) return false;
    out.status = v.status;
  }
  return true;
});

const namespaceCheck = shape((v, out) => required(v, out, "metadata", namespaceMeta));
const podCheck = shape(
  (v, out) => required(v, out, "metadata", subdomainMeta) && nullish(v, out, "spec", podSpec) && nullish(v, out, "status", podStatus),
);
const serviceCheck = shape((v, out) => required(v, out, "metadata", serviceMeta) && nullish(v, out, "spec", serviceSpec));

/** Turn a check into what callers use: the schema's output, or undefined when zod must decide. */
function fast<T extends z.ZodType>(check: (v: unknown) => Out<Obj>): (value: unknown) => z.infer<T> | undefined {
  return (value) => {
    const r = check(value);
    return r === DOUBT ? undefined : (r as z.infer<T>);
  };
}

export const fastNamespace = fast<typeof S.namespace>(namespaceCheck);
export const fastPod = fast<typeof S.pod>(podCheck);
export const fastService = fast<typeof S.service>(serviceCheck);
export const fastNetworkPolicy = fast<typeof S.networkPolicy>(networkPolicyCheck);
