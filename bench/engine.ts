/**
 * Policy engine benchmark (issue 3): a synthetic cluster of 5,000 pods in 500
 * namespaces with 2,000 NetworkPolicies and 200 admin-tier rules.
 *
 *   npx tsx bench/engine.ts            # print figures
 *   npx tsx bench/engine.ts --write    # also update the "Policy engine" section of docs/benchmarks.md
 */
import { join } from "node:path";
import { machineDescription, writeSection, type Row } from "./lib/report";
import {
  MATCH_ALL,
  computeReachability,
  createEvaluator,
  type ClusterModel,
  type Flow,
  type Identity,
  type LabelSelector,
  type Peer,
  type Policy,
  type PolicyRule,
  type PolicySet,
  type PodInfo,
  type PortMatch,
  type Protocol,
  type RuleRef,
} from "../server/policy";

const NAMESPACES = 500;
const TENANTS = 50;
const ADMIN_POLICIES = 20;
const RULES_PER_ADMIN = 10;

// Deterministic PRNG so runs are comparable.
let seed = 42;
function rand(): number {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
}
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

const sel = (labels: Record<string, string>): LabelSelector => ({ matchLabels: labels, matchExpressions: [] });

interface AppSpec {
  app: string;
  replicas: number;
  port: number;
  portName: string;
  protocol: Protocol;
}
const APPS: AppSpec[] = [
  { app: "frontend", replicas: 3, port: 8080, portName: "http", protocol: "TCP" },
  { app: "api", replicas: 3, port: 8443, portName: "https", protocol: "TCP" },
  { app: "db", replicas: 2, port: 5432, portName: "postgres", protocol: "TCP" },
  { app: "worker", replicas: 2, port: 9000, portName: "metrics", protocol: "TCP" },
];

function buildCluster(): { cluster: ClusterModel; policies: PolicySet } {
  const cluster: ClusterModel = {
    namespaces: [],
    pods: [],
    workloads: [],
    services: [],
    nodes: [],
    externals: [{ kind: "dns", name: "api.stripe.com", ips: ["198.51.100.20"] }],
  };
  const policies: Policy[] = [];
  let podIndex = 0;
  for (let i = 0; i < NAMESPACES; i++) {
    const ns = `ns-${i}`;
    const tenant = `t${i % TENANTS}`;
    cluster.namespaces.push({ name: ns, labels: { "kubernetes.io/metadata.name": ns, tenant, env: i % 3 === 0 ? "prod" : "dev" } });
    for (const a of APPS) {
      for (let k = 0; k < a.replicas; k++) {
        const ip = `10.${(podIndex >> 16) & 255}.${(podIndex >> 8) & 255}.${podIndex & 255}`;
        podIndex++;
        const pod: PodInfo = {
          namespace: ns,
          name: `${a.app}-${k}`,
          labels: { app: a.app, tier: a.app === "db" ? "data" : "app" },
          ports: [{ name: a.portName, port: a.port, protocol: a.protocol }],
          ips: [ip],
          hostNetwork: false,
          workload: { kind: "Deployment", name: a.app },
        };
        cluster.pods.push(pod);
      }
    }
    // Four NetworkPolicies per namespace (2,000 in all).
    const np = (
      name: string,
      podSel: LabelSelector,
      types: { ingress: boolean; egress: boolean },
      rules: Omit<PolicyRule, "ref">[],
    ): Policy => {
      const ref = { kind: "NetworkPolicy", apiVersion: "networking.k8s.io/v1", namespace: ns, name };
      let ing = 0;
      let eg = 0;
      return {
        id: `NetworkPolicy/${ns}/${name}`,
        layer: "namespace",
        namespace: ns,
        subject: { namespaces: { kind: "names", names: [ns] }, pods: podSel },
        policyTypes: types,
        rules: rules.map((r) => ({
          ...r,
          ref: { ...ref, direction: r.direction, ruleIndex: r.direction === "ingress" ? ing++ : eg++ } as RuleRef,
        })),
        ref,
      };
    };
    const tcp = (port: number): PortMatch => ({ kind: "number", protocol: "TCP", port });
    const sameNs = (labels: Record<string, string>): Peer => ({
      kind: "workloads",
      selector: { namespaces: { kind: "policy" }, pods: sel(labels) },
    });
    policies.push(np("default-deny", MATCH_ALL, { ingress: true, egress: true }, []));
    policies.push(
      np("allow-frontend", sel({ app: "frontend" }), { ingress: true, egress: false }, [
        {
          direction: "ingress",
          action: "allow",
          peers: [{ kind: "workloads", selector: { namespaces: { kind: "selector", selector: sel({ tenant }) }, pods: MATCH_ALL } }],
          ports: [tcp(8080)],
        },
      ]),
    );
    policies.push(
      np("allow-api-and-db", sel({ tier: "app" }), { ingress: true, egress: false }, [
        {
          direction: "ingress",
          action: "allow",
          peers: [sameNs({ app: "frontend" })],
          ports: [{ kind: "named", protocol: "TCP", name: "https" }],
        },
        {
          direction: "ingress",
          action: "allow",
          peers: [
            {
              kind: "workloads",
              selector: { namespaces: { kind: "selector", selector: sel({ env: "prod" }) }, pods: sel({ app: "worker" }) },
            },
          ],
          ports: [tcp(8443), tcp(9000)],
        },
      ]),
    );
    policies.push(
      np("allow-egress", MATCH_ALL, { ingress: false, egress: true }, [
        {
          direction: "egress",
          action: "allow",
          peers: [{ kind: "workloads", selector: { namespaces: { kind: "selector", selector: sel({ tenant }) }, pods: MATCH_ALL } }],
          ports: null,
        },
        {
          direction: "egress",
          action: "allow",
          peers: [{ kind: "entity", entity: "kube-dns" }],
          ports: [{ kind: "number", protocol: "UDP", port: 53 }],
        },
        {
          direction: "egress",
          action: "allow",
          peers: [{ kind: "ipBlock", cidr: "0.0.0.0/0", except: ["10.0.0.0/8"] }],
          ports: [tcp(443)],
        },
      ]),
    );
  }
  // 200 admin-tier rules: 20 policies × 10 rules, across the global and cluster tiers.
  for (let p = 0; p < ADMIN_POLICIES; p++) {
    const tier = p < 5 ? "global" : "cluster";
    const ref = { kind: "AdminNetworkPolicy", apiVersion: "policy.networking.k8s.io/v1alpha1", name: `anp-${p}` };
    const rules: PolicyRule[] = [];
    for (let r = 0; r < RULES_PER_ADMIN; r++) {
      const direction = r % 2 === 0 ? "egress" : "ingress";
      const action = pick(["allow", "deny", "pass", "pass"] as const);
      const peer: Peer =
        rand() < 0.2
          ? { kind: "ipBlock", cidr: `203.0.${r}.0/24`, except: [] }
          : {
              kind: "workloads",
              selector: {
                namespaces: { kind: "selector", selector: sel({ tenant: `t${Math.floor(rand() * TENANTS)}` }) },
                pods: sel({ app: pick(APPS).app }),
              },
            };
      rules.push({
        direction,
        action,
        peers: [peer],
        ports: [{ kind: "number", protocol: "TCP", port: pick(APPS).port }],
        ref: { ...ref, direction, ruleIndex: r, ruleName: `r${r}` },
      });
    }
    policies.push({
      id: `AdminNetworkPolicy/anp-${p}`,
      layer: "admin",
      tier,
      priority: p * 5,
      subject: {
        namespaces: { kind: "selector", selector: p % 4 === 0 ? MATCH_ALL : sel({ env: p % 2 === 0 ? "prod" : "dev" }) },
        pods: MATCH_ALL,
      },
      policyTypes: { ingress: true, egress: true },
      rules,
      ref,
    });
  }
  policies.push({
    id: "BaselineAdminNetworkPolicy/default",
    layer: "baseline",
    priority: 0,
    subject: { namespaces: { kind: "selector", selector: MATCH_ALL }, pods: MATCH_ALL },
    policyTypes: { ingress: true, egress: true },
    rules: [
      {
        direction: "ingress",
        action: "deny",
        peers: [{ kind: "entity", entity: "world" }],
        ports: null,
        ref: { kind: "BaselineAdminNetworkPolicy", name: "default", direction: "ingress", ruleIndex: 0 },
      },
    ],
    ref: { kind: "BaselineAdminNetworkPolicy", name: "default" },
  });
  return { cluster, policies: { policies } };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function main(): void {
  const { cluster, policies } = buildCluster();
  const npCount = policies.policies.filter((p) => p.layer === "namespace").length;
  const adminRules = policies.policies.filter((p) => p.layer === "admin").reduce((n, p) => n + p.rules.length, 0);

  // 1. Building indexes (median of 5 builds).
  const builds: number[] = [];
  let ev = createEvaluator(cluster, policies);
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    ev = createEvaluator(cluster, policies);
    builds.push(performance.now() - t);
  }
  const buildMs = median(builds);

  // Flows: ~5,000 distinct (src, dst, port) tuples, mostly pod-to-pod, some to external addresses.
  const pods = cluster.pods;
  const flows: Flow[] = [];
  const byTenant = new Map<number, PodInfo[]>();
  for (const p of pods) {
    const t = Number(p.namespace.slice(3)) % TENANTS;
    byTenant.set(t, [...(byTenant.get(t) ?? []), p]);
  }
  for (let i = 0; i < 5000; i++) {
    const s = pick(pods);
    if (rand() < 0.05) {
      flows.push({
        src: { kind: "pod", namespace: s.namespace, name: s.name },
        dst: { kind: "ip", ip: pick(["198.51.100.20", "203.0.3.7", "8.8.8.8"]) },
        port: pick([443, 53, 8443]),
        protocol: "TCP",
      });
      continue;
    }
    // Realistic traffic is mostly within a tenant.
    const d = rand() < 0.7 ? pick(byTenant.get(Number(s.namespace.slice(3)) % TENANTS)!) : pick(pods);
    flows.push({
      src: { kind: "pod", namespace: s.namespace, name: s.name },
      dst: { kind: "pod", namespace: d.namespace, name: d.name },
      port: d.ports[0]!.port,
      protocol: "TCP",
    });
  }

  // 2. Single uncached decision (resolve both endpoints + evaluate), median over 20,000 samples.
  const resolved = flows.map((f) => [ev.resolve(f.src), ev.resolve(f.dst)] as const);
  for (let i = 0; i < 20000; i++) {
    const [s, d] = resolved[i % resolved.length]!;
    if (s.ok && d.ok) ev.decideUncached(s.value, d.value, flows[i % flows.length]!.port, "TCP");
  } // warm-up
  const samples: number[] = [];
  let allows = 0;
  for (let i = 0; i < 20000; i++) {
    const f = flows[Math.floor(rand() * flows.length)]!;
    const t = process.hrtime.bigint();
    const s = ev.resolve(f.src);
    const d = ev.resolve(f.dst);
    const dec = s.ok && d.ok ? ev.decideUncached(s.value as Identity, d.value as Identity, f.port, f.protocol) : null;
    samples.push(Number(process.hrtime.bigint() - t) / 1000);
    if (dec?.verdict === "allow") allows++;
  }
  const uncachedUs = median(samples);

  // 3. 1,000,000 decisions through the identity cache (decide(flow): endpoint resolution + cached decision).
  // A short warm-up, through the same loop as the measured run, lets the JIT settle (as in a
  // long-running decision point); the cache is then emptied so the measured run still pays for
  // every first-time (uncached) decision.
  const decideAll = (order: Uint32Array): number => {
    let allowed = 0;
    for (let i = 0; i < order.length; i++) {
      const r = ev.decide(flows[order[i]!]!);
      if (r.ok && r.value.verdict === "allow") allowed++;
    }
    return allowed;
  };
  decideAll(Uint32Array.from({ length: 200_000 }, (_, i) => i % flows.length));
  ev.clearCache();
  const order = new Uint32Array(1_000_000);
  for (let i = 0; i < order.length; i++) order[i] = Math.floor(rand() * flows.length);
  const t3 = performance.now();
  const allowed = decideAll(order);
  const cachedSec = (performance.now() - t3) / 1000;
  const perSec = order.length / cachedSec;
  const stats = ev.cacheStats();
  // For context, not judged: the same million once every tuple is cached (a decision point that has been up a while).
  const t3w = performance.now();
  decideAll(order);
  const warmPerSec = order.length / ((performance.now() - t3w) / 1000);

  // 4. Full reachability aggregated by workload (fresh evaluator, rationale included).
  const ev2 = createEvaluator(cluster, policies);
  const t4 = performance.now();
  const graph = computeReachability(ev2);
  const reachMs = performance.now() - t4;

  const rows: Row[] = [
    ["building the evaluator's indexes", `${buildMs.toFixed(0)} ms`, "< 1 s", buildMs < 1000],
    ["single uncached decision (median)", `${uncachedUs.toFixed(1)} µs`, "< 20 µs", uncachedUs < 20],
    [
      "1,000,000 decisions through the identity cache",
      `${(perSec / 1e6).toFixed(2)} M decisions/s (${cachedSec.toFixed(2)} s)`,
      "≥ 2 M/s",
      perSec >= 2e6,
    ],
    [
      "full reachability aggregated by workload",
      `${reachMs.toFixed(0)} ms (${graph.stats.edges} edges, ${graph.stats.endpoints} nodes)`,
      "< 2 s",
      reachMs < 2000,
    ],
  ];
  const machine = machineDescription();
  const workload = `${pods.length} pods in ${cluster.namespaces.length} namespaces, ${npCount} NetworkPolicies, ${adminRules} admin-tier rules, 1 BaselineAdminNetworkPolicy; ${stats.identities} identities; ${flows.length} distinct flows (${((allows / samples.length) * 100).toFixed(0)}% allowed)`;

  console.log(`Policy engine benchmark — ${workload}`);
  console.log(`machine: ${machine}`);
  for (const [what, value, target, ok] of rows) console.log(`  ${ok ? "PASS" : "MISS"}  ${what}: ${value} (target ${target})`);
  console.log(`  cache: ${stats.entries} entries, ${stats.hits} hits, ${stats.misses} misses; ${allowed} of ${order.length} allowed`);
  console.log(`  context: the same 1,000,000 decisions with every tuple already cached: ${(warmPerSec / 1e6).toFixed(2)} M decisions/s`);

  if (process.argv.includes("--write")) {
    const file = join(process.cwd(), "docs", "benchmarks.md");
    writeSection(
      file,
      "Policy engine",
      "`npx tsx bench/engine.ts --write` (bench/engine.ts). Synthetic cluster: " + workload + ".",
      machine,
      rows,
      [
        "What the cached-decision figure measures: `decide(flow)` as a decision point answering allow or deny calls it, i.e. resolving both endpoints by namespace/name (two string-keyed map lookups each) and then the decision-cache lookup; no pre-resolved identities. The cache is emptied before the run, so it also pays for the first-time (uncached) evaluation of every distinct tuple (" +
          stats.misses +
          " × ~" +
          uncachedUs.toFixed(0) +
          " µs ≈ " +
          ((stats.misses * uncachedUs) / 1000).toFixed(0) +
          " ms). A decision keeps what decided it and builds its rationale (effects, reasons, nearest allow) only when a caller reads it — this run reads none; the CLI's simulate and the graph read it, and pay for it then — and exception expiries are compared as precomputed epoch numbers. With every tuple already cached the same million runs at " +
          (warmPerSec / 1e6).toFixed(2) +
          " M decisions/s (printed for context, not judged); most of a hit is resolving the two endpoints (a pod is a namespace map and a name map lookup). Figures vary with load: the machine is shared with other work (see the load average); a MISS at a load average above the core count is not a regression by itself — rerun when the machine is quiet.",
        "Decisions are cached per (source identity, destination identity, port, protocol, exception epoch) in an open-addressing hash table with integer keys (a hit allocates nothing); an identity is the class of pods with the same namespace, values of the label keys some policy selects on, named ports and matching IP blocks. Reachability resolves each direction for all peers at once as bitsets over identities.",
      ],
    );
    console.log(`wrote the "Policy engine" section of ${file}`);
  }
}

main();
