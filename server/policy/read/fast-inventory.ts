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
 * Whether a checked value can stand for the schema's output itself: the same keys holding the
 * same values (nothing stripped, every child answered by itself), an ordinary object.
 * The readers only read what validation returns, so handing back the parsed value instead of a
 * copy of it spares allocating the copy for every object read (their key order, the schema's in
 * zod's copy, is not something a reader looks at).
 */
function isReusable(v: object): boolean {
  return Object.getPrototypeOf(v) === Object.prototype;
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

interface Field {
  check: (v: unknown) => Out<unknown>;
  required: boolean;
}
/** `.nullish()` (and z.unknown().optional(), which lets null through as it is too). */
const opt = (check: (v: unknown) => Out<unknown>): Field => ({ check, required: false });
const req = (check: (v: unknown) => Out<unknown>): Field => ({ check, required: true });

/**
 * z.object over `fields` (z.strictObject with `strict`: a key outside them is an error there, so a
 * doubt here); `refine` is the schema's superRefine as a yes/no on the output.
 */
function object(
  fields: Record<string, Field>,
  options: { strict?: boolean; refine?: (out: Obj) => boolean } = {},
): (v: unknown) => Out<Obj> {
  const keys = Object.keys(fields);
  const list = keys.map((k) => fields[k]!);
  const allowed = options.strict ? new Set(keys) : null;
  const refine = options.refine;
  return (v) => {
    if (!plain(v)) return DOUBT;
    let own = 0;
    if (allowed) {
      for (const k in v) {
        if (!allowed.has(k)) return DOUBT;
        own++;
      }
    }
    const out: Obj = {};
    let present = 0;
    let same = true;
    for (let i = 0; i < keys.length; i++) {
      const f = list[i]!;
      const key = keys[i]!;
      if (!(f.required ? required(v, out, key, f.check) : nullish(v, out, key, f.check))) return DOUBT;
      if (Object.prototype.hasOwnProperty.call(out, key)) {
        present++;
        if (out[key] !== v[key]) same = false;
      }
    }
    if (refine && !refine(out)) return DOUBT;
    if (!allowed && same) for (const _ in v) own++;
    return same && own === present && isReusable(v) ? v : out;
  };
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
    // Always a copy: an array can hold named properties beside its items, which zod's copy drops,
    // and nothing cheap tells that it does not.
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
  const out: Record<string, string> | null = isReusable(v) ? null : {};
  for (const k of Object.keys(v)) {
    const value = v[k];
    if (k === "__proto__" || typeof value !== "string" || !entry(k, value)) return DOUBT;
    if (out) out[k] = value;
  }
  return out ?? (v as Record<string, string>);
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

/** schemas.ts objectMeta(nameRule). */
function objectMeta(nameRule: (s: string) => string | null): (v: unknown) => Out<Obj> {
  return object({
    name: req((v) => (typeof v === "string" && v.length > 0 && nameRule(v) === null ? v : DOUBT)),
    namespace: opt((v) => (typeof v === "string" && K.dns1123Label(v) === null ? v : DOUBT)),
    labels: opt(labels),
    annotations: opt(annotations),
    resourceVersion: opt(str),
    generation: opt(finite),
    ownerReferences: opt(array(object({ kind: req(str), name: req(str) }))),
  });
}

const containerPort = object({ containerPort: req(port), name: opt(portName), protocol: opt(protocol) });
const container = object({ name: opt(str), ports: opt(array(containerPort)), restartPolicy: opt(str) });
const containers = array(container);
const podSpec = object({ containers: opt(containers), initContainers: opt(containers), hostNetwork: opt(bool), nodeName: opt(str) });
const podStatus = object({ podIP: opt(ip), podIPs: opt(array(object({ ip: req(ip) }))), phase: opt(str) });

const subdomainMeta = objectMeta(K.dns1123Subdomain);

const servicePort = object({ name: opt(str), port: req(port), targetPort: opt(intOrStringPort), protocol: opt(protocol) });
const serviceSpec = object({ selector: opt(labels), clusterIP: opt(str), clusterIPs: opt(array(str)), ports: opt(array(servicePort)) });

// networking.k8s.io/v1 NetworkPolicy (schemas.ts networkPolicy: strict objects throughout).

const requirement = object(
  {
    key: req((k) => (typeof k === "string" && K.qualifiedName(k) === null ? k : DOUBT)),
    operator: req((o) => ((OPERATORS as readonly unknown[]).includes(o) ? o : DOUBT)),
    values: opt(array((x) => (typeof x === "string" && K.labelValue(x) === null ? x : DOUBT))),
  },
  { strict: true, refine: (out) => requirementProblem(out as { operator: string; values?: string[] | null }) === null },
);
const labelSelector = object({ matchLabels: opt(labels), matchExpressions: opt(array(requirement)) }, { strict: true });
const cidr = (v: unknown): Out<string> => (typeof v === "string" && parseCidr(v) ? v : DOUBT);
const ipBlock = object(
  { cidr: req(cidr), except: opt(array(cidr)) },
  { strict: true, refine: (out) => exceptsOutside(out.cidr as string, (out.except as string[] | null | undefined) ?? []).length === 0 },
);
const npPeer = object(
  { podSelector: opt(labelSelector), namespaceSelector: opt(labelSelector), ipBlock: opt(ipBlock) },
  {
    strict: true,
    refine: (out) => {
      const selects = out.podSelector != null || out.namespaceSelector != null;
      return out.ipBlock != null ? !selects : selects;
    },
  },
);
const npPort = object(
  { protocol: opt(protocol), port: opt(intOrStringPort), endPort: opt(port) },
  {
    strict: true,
    refine: (out) => {
      const end = out.endPort as number | null | undefined;
      return end == null || (typeof out.port === "number" && end >= out.port);
    },
  },
);
/** An ingress or egress rule list; its items may be null. */
function npRules(peers: "from" | "to"): (v: unknown) => Out<unknown[]> {
  const rule = object({ [peers]: opt(array(npPeer)), ports: opt(array(npPort)) }, { strict: true });
  return array((v) => (v === null ? null : rule(v)));
}
const npSpec = object(
  {
    podSelector: opt(labelSelector),
    policyTypes: opt(array((t) => (t === "Ingress" || t === "Egress" ? t : DOUBT))),
    ingress: opt(npRules("from")),
    egress: opt(npRules("to")),
  },
  { strict: true },
);
const networkPolicyCheck = object(
  // status: z.unknown().optional() passes any value through as it is.
  { apiVersion: req(str), kind: req(str), metadata: req(subdomainMeta), spec: req(npSpec), status: opt((v) => v) },
  { strict: true },
);

const namespaceCheck = object({ metadata: req(objectMeta(K.dns1123Label)) });
const podCheck = object({ metadata: req(subdomainMeta), spec: opt(podSpec), status: opt(podStatus) });
const serviceCheck = object({ metadata: req(objectMeta(K.dns1035Label)), spec: opt(serviceSpec) });

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
