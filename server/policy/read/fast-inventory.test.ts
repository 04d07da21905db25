import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { cliClusterYaml } from "../../../bench/lib/cli-cluster";
import { fastNamespace, fastNetworkPolicy, fastPod, fastService } from "./fast-inventory";
import { readManifestObjects } from "./manifests";
import * as S from "./schemas";
import { parseSource } from "./yaml";

const FIXTURES = path.join(import.meta.dirname, "../__fixtures__");

function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const p = path.join(dir, name);
      if (statSync(p).isDirectory()) return yamlFiles(p);
      return /\.ya?ml$/.test(name) ? [p] : [];
    });
}

type Kind = "Namespace" | "Pod" | "Service" | "NetworkPolicy";
const CHECKS: Record<Kind, { schema: z.ZodType; fast: (v: unknown) => unknown }> = {
  Namespace: { schema: S.namespace, fast: fastNamespace },
  Pod: { schema: S.pod, fast: fastPod },
  Service: { schema: S.service, fast: fastService },
  NetworkPolicy: { schema: S.networkPolicy, fast: fastNetworkPolicy },
};
const KINDS = Object.keys(CHECKS) as Kind[];

/** Shapes the fixtures do not show: what `kubectl get -o yaml` prints for a running pod and a service. */
const RICH: Record<string, unknown>[] = [
  {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: "web-7d4b9c8f6d-x2x9q",
      namespace: "shop",
      labels: { app: "web", "app.kubernetes.io/name": "web", "pod-template-hash": "7d4b9c8f6d" },
      annotations: { "kubectl.kubernetes.io/restartedAt": "2026-01-01T00:00:00Z" },
      resourceVersion: "12345",
      generation: 1,
      uid: "0c6f",
      ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "web-7d4b9c8f6d", controller: true }],
    },
    spec: {
      nodeName: "node-1",
      hostNetwork: false,
      containers: [
        {
          name: "web",
          image: "web:1",
          ports: [
            { containerPort: 8080, name: "http", protocol: "TCP" },
            { containerPort: 53, protocol: "UDP" },
          ],
        },
        { name: "sidecar", image: "proxy:1" },
      ],
      initContainers: [{ name: "mesh", restartPolicy: "Always", ports: [{ containerPort: 15001, name: "mesh" }] }],
    },
    status: { phase: "Running", podIP: "10.0.0.7", podIPs: [{ ip: "10.0.0.7" }, { ip: "fd00::7" }], hostIP: "192.168.0.1" },
  },
  {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "web", namespace: "shop", labels: { app: "web" } },
    spec: {
      type: "ClusterIP",
      selector: { app: "web" },
      clusterIP: "10.96.0.10",
      clusterIPs: ["10.96.0.10"],
      ports: [
        { name: "http", port: 80, targetPort: "http", protocol: "TCP" },
        { port: 53, targetPort: 5353, protocol: "UDP" },
        { port: 443 },
      ],
    },
  },
  {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "db", namespace: "shop", resourceVersion: "7", generation: 2 },
    spec: {
      podSelector: { matchLabels: { app: "db" }, matchExpressions: [{ key: "tier", operator: "In", values: ["data"] }] },
      policyTypes: ["Ingress", "Egress"],
      ingress: [
        null,
        { from: [{ namespaceSelector: {}, podSelector: { matchExpressions: [{ key: "canary", operator: "DoesNotExist" }] } }] },
        { ports: [{ port: 5432, endPort: 5440, protocol: "TCP" }, { port: "postgres" }, { protocol: "UDP" }] },
      ],
      egress: [{ to: [{ ipBlock: { cidr: "10.0.0.0/8", except: ["10.1.0.0/16"] } }], ports: [{ port: 53, protocol: "UDP" }] }],
    },
    status: {},
  },
  { apiVersion: "v1", kind: "Namespace", metadata: { name: "shop", labels: { tenant: "t1", empty: "" } }, status: { phase: "Active" } },
];

function samples(): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [...RICH];
  const texts = yamlFiles(FIXTURES).map((file) => ({ file, text: readFileSync(file, "utf8") }));
  // The bench cluster's first documents: its namespaces and bare pods.
  texts.push({ file: "cli-cluster.yaml", text: cliClusterYaml().yaml.split("\n---\n").slice(0, 60).join("\n---\n") });
  for (const { file, text } of texts)
    for (const o of parseSource(file, text).objects) {
      const v = o.value as Record<string, unknown> | null;
      if (v && KINDS.includes(v.kind as Kind)) out.push(v);
    }
  return out;
}

/** Every path to a value inside `v` (objects and arrays walked). */
function paths(v: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out = [prefix];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...prefix, i])));
  else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...prefix, k]));
  return out;
}

const WRONG: unknown[] = [null, 0, 7, -1, 1.5, 70000, "", "x", "Bad_Name!", "a--b", "-", "TCP", "10.0.0.1", true, [], ["a"], {}, { a: 1 }];

/** The sample with the value at `at` replaced (or deleted when `value` is DELETE). */
const DELETE = Symbol("delete");
function mutate(root: unknown, at: (string | number)[], value: unknown): unknown {
  if (at.length === 0) return value === DELETE ? undefined : value;
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let cur = copy;
  for (const seg of at.slice(0, -1)) cur = cur[seg] as Record<string | number, unknown>;
  const last = at[at.length - 1]!;
  if (value === DELETE) {
    if (Array.isArray(cur)) cur.splice(last as number, 1);
    else delete cur[last];
  } else cur[last] = value;
  return copy;
}

function variants(sample: Record<string, unknown>): unknown[] {
  const out: unknown[] = [sample];
  for (const at of paths(sample)) {
    if (at.length === 0) continue;
    out.push(mutate(sample, at, DELETE));
    for (const w of WRONG) out.push(mutate(sample, at, w));
    // An unknown field beside a known one, and a key that would replace a prototype.
    const parent = at.slice(0, -1);
    out.push(mutate(sample, [...parent, "unknownField"], { nested: [1] }));
  }
  out.push(JSON.parse(JSON.stringify(sample).replace(/"metadata":\{/, '"metadata":{"labels":{"__proto__":"x"},')));
  out.push(JSON.parse(JSON.stringify(sample).replace(/"metadata":\{/, '"metadata":{"__proto__":{"name":"x"},')));
  out.push({ ...sample, metadata: { ...(sample.metadata as object), annotations: { big: "x".repeat(256 * 1024) } } });
  return out;
}

describe("the fast inventory checks", () => {
  const all = samples();

  it("cover every Namespace, Pod, Service and NetworkPolicy shape in the fixtures and the bench cluster", () => {
    const counts = Object.fromEntries(KINDS.map((k) => [k, all.filter((s) => s.kind === k).length]));
    expect(counts.Namespace).toBeGreaterThan(10);
    expect(counts.Pod).toBeGreaterThan(30);
    expect(counts.Service).toBeGreaterThan(2);
    expect(counts.NetworkPolicy).toBeGreaterThan(30);
    // Every valid sample takes the fast path (else the checks would only ever fall back).
    for (const s of all) {
      const { schema, fast } = CHECKS[s.kind as Kind];
      if (schema.safeParse(s).success) expect(fast(s), JSON.stringify(s)).toBeDefined();
    }
  });

  it("return exactly what the zod schema returns, or leave the value to it", () => {
    let fastAnswers = 0;
    let fallbacks = 0;
    for (const sample of all) {
      const { schema, fast } = CHECKS[sample.kind as Kind];
      for (const v of variants(sample)) {
        const quick = fast(v);
        const zod = schema.safeParse(v);
        if (quick === undefined) {
          fallbacks++;
          continue;
        }
        fastAnswers++;
        expect(zod.success, JSON.stringify(v)).toBe(true);
        expect(quick).toStrictEqual(zod.data);
      }
    }
    expect(fastAnswers).toBeGreaterThan(1000);
    expect(fallbacks).toBeGreaterThan(1000);
    // Thousands of variants through zod: a second on a quiet machine, far more while the machine is busy.
  }, 60_000);

  it("read every variant to the same model, errors and warnings as zod alone", () => {
    for (const sample of all.filter((_, i) => i % 3 === 0 || RICH.includes(all[i]!))) {
      for (const v of variants(sample)) {
        const fast = readManifestObjects("f.yaml", [v]);
        const zod = readManifestObjects("f.yaml", [v], { zodOnly: true });
        expect(fast).toStrictEqual(zod);
      }
    }
  }, 60_000);
});
