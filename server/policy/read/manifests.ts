/**
 * Kubernetes manifests → normalised model: parse each source, then hand every object to the
 * builder of its kind (core kinds, AdminNetworkPolicy/BaselineAdminNetworkPolicy,
 * ClusterNetworkPolicy, Cilium). Each object is validated with its zod schema; every problem
 * becomes a located PolicyInputError (never a throw).
 */
import {
  NS_NAME_LABEL,
  emptyCluster,
  type AdminTier,
  type ClusterModel,
  type Policy,
  type PolicySet,
  type SourceRef,
  type WorkloadKind,
} from "../model";
import { PolicyInputError } from "../errors";
import { streamSource, type ObjectSink, type RawObject } from "./yaml";
import { at, type Ctx } from "./manifest-context";
import { WORKLOAD_KINDS, readNamespace, readNetworkPolicy, readNode, readPod, readService, readWorkload } from "./core-kinds";
import { readAnp, readBanp } from "./admin-network-policy";
import { readCnp } from "./cluster-network-policy";
import { readCilium } from "./cilium";

export { toSelector } from "./manifest-context";

export interface ManifestSource {
  file: string;
  text: string;
}

export interface ReadResult {
  cluster: ClusterModel;
  policies: PolicySet;
  errors: PolicyInputError[];
  warnings: PolicyInputError[];
  /** Number of Kubernetes objects read (after List expansion). */
  objectCount: number;
}

export interface ReadOptions {
  /** Admin tier that Kubernetes AdminNetworkPolicies / ClusterNetworkPolicies read from a cluster belong to (default "cluster"). */
  adminTier?: AdminTier;
  /** Objects of these apiVersions are another reader's (Policyplane documents beside manifests): skipped without a warning. */
  skipApiVersions?: readonly string[];
  /** Validate every object with its zod schema, bypassing the fast inventory checks (benchmarks compare the two). */
  zodOnly?: boolean;
}

/**
 * Read Kubernetes manifests from in-memory sources (pure: no file system). Each object is read
 * as soon as its document is parsed, so the parse of a large file is not all held at once (what
 * is kept alive is what gets built): syntax errors still come first, then the objects' errors.
 */
export function readManifestSources(sources: readonly ManifestSource[], options: ReadOptions = {}): ReadResult {
  const state = readState(options);
  const syntaxErrors: PolicyInputError[] = [];
  for (const source of sources) {
    const mark = snapshot(state);
    const sink: ObjectSink = { object: (obj) => readObject(state, obj), restart: () => rollback(state, mark) };
    syntaxErrors.push(...streamSource(source.file, source.text, sink));
  }
  return finish(state, syntaxErrors);
}

/**
 * Read objects already parsed (parseSource's), after their sources' syntax errors: the same answer
 * as readManifestSources gives for those sources, which reads each object as its document is parsed.
 */
export function readParsedObjects(
  objects: readonly RawObject[],
  syntaxErrors: readonly PolicyInputError[],
  options: ReadOptions = {},
): ReadResult {
  const state = readState(options);
  for (const obj of objects) readObject(state, obj);
  return finish(state, [...syntaxErrors]);
}

const NOWHERE = { line: 0, column: 0 };

/**
 * Read Kubernetes objects that are already values (JSON from a cluster or the compiler), with the
 * same semantics as reading their YAML: no text to parse, so no positions (line and column 0).
 * Each value is one object (Lists are not expanded).
 */
export function readManifestObjects(file: string, values: readonly unknown[], options: ReadOptions = {}): ReadResult {
  const state = readState(options);
  for (const value of values) readObject(state, { file, value, base: [], ...NOWHERE, locate: () => NOWHERE });
  return finish(state, []);
}

/** What reading has built so far. */
interface ReadState {
  cluster: ClusterModel;
  policies: Policy[];
  errors: PolicyInputError[];
  warnings: PolicyInputError[];
  objectCount: number;
  options: ReadOptions;
  tier: AdminTier;
}

function readState(options: ReadOptions): ReadState {
  return { cluster: emptyCluster(), policies: [], errors: [], warnings: [], objectCount: 0, options, tier: options.adminTier ?? "cluster" };
}

/** The lengths of everything reading appends to (reading only ever appends). */
function snapshot(s: ReadState): number[] {
  const c = s.cluster;
  return [
    c.namespaces.length,
    c.pods.length,
    c.workloads.length,
    c.services.length,
    c.nodes.length,
    c.externals.length,
    s.policies.length,
    s.errors.length,
    s.warnings.length,
    s.objectCount,
  ];
}

/** Forget what was read since `mark` (a source whose text is read again another way). */
function rollback(s: ReadState, mark: readonly number[]): void {
  const c = s.cluster;
  const lists = [c.namespaces, c.pods, c.workloads, c.services, c.nodes, c.externals, s.policies, s.errors, s.warnings];
  lists.forEach((list, i) => (list.length = mark[i]!));
  s.objectCount = mark[lists.length]!;
}

function finish(s: ReadState, syntaxErrors: PolicyInputError[]): ReadResult {
  finalize(s.cluster, s.policies, s.warnings);
  const errors = syntaxErrors.length > 0 ? [...syntaxErrors, ...s.errors] : s.errors;
  return { cluster: s.cluster, policies: { policies: s.policies }, errors, warnings: s.warnings, objectCount: s.objectCount };
}

function readObject(s: ReadState, obj: RawObject): void {
  const { cluster, policies, errors, warnings, options, tier } = s;
  s.objectCount++;
  const ctx: Ctx = { obj, errors, warnings, zodOnly: options.zodOnly };
  const v = obj.value;
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    errors.push(at(ctx, [], "expected a Kubernetes object (a mapping with apiVersion and kind)"));
    return;
  }
  const { apiVersion, kind } = v as { apiVersion?: unknown; kind?: unknown };
  if (typeof apiVersion !== "string" || apiVersion === "") {
    errors.push(at(ctx, ["apiVersion"], "expected apiVersion (a string such as networking.k8s.io/v1)"));
    return;
  }
  if (typeof kind !== "string" || kind === "") {
    errors.push(at(ctx, ["kind"], "expected kind (a string such as NetworkPolicy)"));
    return;
  }
  if (options.skipApiVersions?.includes(apiVersion)) return;
  const wrongVersion = (expected: string) =>
    errors.push(at(ctx, ["apiVersion"], `unsupported apiVersion ${JSON.stringify(apiVersion)} for ${kind}; expected ${expected}`));
  switch (kind) {
    case "Namespace": {
      if (apiVersion !== "v1") {
        wrongVersion("v1");
        break;
      }
      readNamespace(ctx, cluster, apiVersion);
      break;
    }
    case "Pod":
      if (apiVersion !== "v1") wrongVersion("v1");
      else readPod(ctx, cluster, apiVersion);
      break;
    case "Service":
      if (apiVersion !== "v1") wrongVersion("v1");
      else readService(ctx, cluster, apiVersion);
      break;
    case "Node":
      if (apiVersion !== "v1") wrongVersion("v1");
      else readNode(ctx, cluster, apiVersion);
      break;
    case "NetworkPolicy":
      if (apiVersion !== "networking.k8s.io/v1") wrongVersion("networking.k8s.io/v1");
      else readNetworkPolicy(ctx, policies, apiVersion);
      break;
    case "AdminNetworkPolicy":
      if (apiVersion !== "policy.networking.k8s.io/v1alpha1") wrongVersion("policy.networking.k8s.io/v1alpha1");
      else readAnp(ctx, policies, apiVersion, tier);
      break;
    case "BaselineAdminNetworkPolicy":
      if (apiVersion !== "policy.networking.k8s.io/v1alpha1") wrongVersion("policy.networking.k8s.io/v1alpha1");
      else readBanp(ctx, policies, apiVersion);
      break;
    case "ClusterNetworkPolicy":
      if (apiVersion !== "policy.networking.k8s.io/v1alpha2" && apiVersion !== "policy.networking.k8s.io/v1beta1")
        wrongVersion("policy.networking.k8s.io/v1alpha2 or v1beta1");
      else readCnp(ctx, policies, apiVersion, tier);
      break;
    case "CiliumNetworkPolicy":
    case "CiliumClusterwideNetworkPolicy":
      if (apiVersion !== "cilium.io/v2") wrongVersion("cilium.io/v2");
      else readCilium(ctx, policies, apiVersion, kind === "CiliumClusterwideNetworkPolicy");
      break;
    default: {
      const versions = WORKLOAD_KINDS[kind];
      if (versions) {
        if (!versions.includes(apiVersion)) wrongVersion(versions.join(" or "));
        else readWorkload(ctx, cluster, kind as WorkloadKind, apiVersion);
      } else {
        warnings.push(at(ctx, ["kind"], `kind ${kind} (${apiVersion}) is not used by the policy engine; ignored`, "warning"));
      }
    }
  }
}

/** Implicit namespaces (objects in a namespace that was not declared) and duplicate objects (the later one wins, as with kubectl apply). */
function finalize(cluster: ClusterModel, policies: Policy[], warnings: PolicyInputError[]): void {
  const dedupe = <T>(
    list: T[],
    key: (t: T) => string,
    what: (t: T) => { file?: string; line?: number; column?: number; name: string },
  ): T[] => {
    const seen = new Map<string, number>();
    const out: T[] = [];
    for (const item of list) {
      const k = key(item);
      const prev = seen.get(k);
      if (prev !== undefined) {
        const w = what(item);
        warnings.push(
          new PolicyInputError({
            file: w.file ?? "",
            line: w.line,
            column: w.column,
            message: `${w.name} is defined more than once; the later definition wins`,
            severity: "warning",
          }),
        );
        out[prev] = item;
      } else {
        seen.set(k, out.length);
        out.push(item);
      }
    }
    return out;
  };
  const refWhat = (r: SourceRef | undefined, name: string) => ({ file: r?.file, line: r?.line, column: r?.column, name });
  cluster.namespaces = dedupe(
    cluster.namespaces,
    (n) => n.name,
    (n) => refWhat(n.source, `Namespace ${n.name}`),
  );
  cluster.pods = dedupe(
    cluster.pods,
    (p) => `${p.namespace}/${p.name}`,
    (p) => refWhat(p.source, `Pod ${p.namespace}/${p.name}`),
  );
  cluster.workloads = dedupe(
    cluster.workloads,
    (w) => `${w.kind}/${w.namespace}/${w.name}`,
    (w) => refWhat(w.source, `${w.kind} ${w.namespace}/${w.name}`),
  );
  cluster.services = dedupe(
    cluster.services,
    (s) => `${s.namespace}/${s.name}`,
    (s) => refWhat(s.source, `Service ${s.namespace}/${s.name}`),
  );
  cluster.nodes = dedupe(
    cluster.nodes,
    (n) => n.name,
    (n) => refWhat(n.source, `Node ${n.name}`),
  );
  const deduped = dedupe(
    policies,
    (p) => p.id,
    (p) => refWhat(p.ref, p.id),
  );
  policies.length = 0;
  policies.push(...deduped);
  const known = new Set(cluster.namespaces.map((n) => n.name));
  const used = [
    ...cluster.pods.map((p) => p.namespace),
    ...cluster.workloads.map((w) => w.namespace),
    ...cluster.services.map((s) => s.namespace),
    ...policies.map((p) => p.namespace).filter((n): n is string => !!n),
  ];
  for (const name of used) {
    if (!known.has(name)) {
      known.add(name);
      cluster.namespaces.push({ name, labels: { [NS_NAME_LABEL]: name } });
    }
  }
}
