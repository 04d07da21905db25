// The synthetic cluster of issue 9, written as the Kubernetes YAML a user would
// hand to the CLI: 500 namespaces, 5,000 bare Pods (each its own workload),
// 2,000 NetworkPolicies that leave most traffic open (plain Kubernetes allows
// what no policy isolates), 20 AdminNetworkPolicies of 10 rules (200 admin
// rules) and a BaselineAdminNetworkPolicy; and flow lines over it.

export const CLI_CLUSTER = { namespaces: 500, tenants: 50, adminPolicies: 20, rulesPerAdmin: 10 };

export interface App {
  app: string;
  replicas: number;
  port: number;
  portName: string;
}
export const APPS: App[] = [
  { app: "frontend", replicas: 3, port: 8080, portName: "http" },
  { app: "api", replicas: 3, port: 8443, portName: "https" },
  { app: "db", replicas: 2, port: 5432, portName: "postgres" },
  { app: "worker", replicas: 2, port: 9000, portName: "metrics" },
];

/** Deterministic PRNG (same cluster and flows on every run). */
function prng(seed: number): () => number {
  let s = seed;
  return () => {
    // Math.imul: a plain multiply exceeds 2^53 and loses the low bits, which collapsed the sequence into a short cycle.
    s = (Math.imul(s, 1103515245) + 12345) & 0x7fffffff;
    return s / 0x7fffffff;
  };
}

export interface SyntheticPod {
  namespace: string;
  name: string;
  ip: string;
  port: number;
}

/** The manifests as one multi-document YAML text, and the pods (for flows). */
export function cliClusterYaml(): {
  yaml: string;
  pods: SyntheticPod[];
  counts: { pods: number; networkPolicies: number; adminRules: number };
} {
  const rand = prng(42);
  const out: string[] = [];
  const pods: SyntheticPod[] = [];
  let networkPolicies = 0;
  for (let i = 0; i < CLI_CLUSTER.namespaces; i++) {
    const ns = `ns-${i}`;
    const tenant = `t${i % CLI_CLUSTER.tenants}`;
    out.push(`apiVersion: v1
kind: Namespace
metadata:
  name: ${ns}
  labels:
    tenant: ${tenant}
    env: ${i % 3 === 0 ? "prod" : "dev"}
`);
    for (const a of APPS) {
      for (let k = 0; k < a.replicas; k++) {
        const n = pods.length;
        const ip = `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
        const name = `${a.app}-${k}`;
        pods.push({ namespace: ns, name, ip, port: a.port });
        out.push(`apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: ${ns}
  labels:
    app: ${a.app}
    tier: ${a.app === "db" ? "data" : "app"}
  annotations:
    example.com/owner: team-${tenant}
spec:
  nodeName: node-${n % 40}
  containers:
  - name: main
    image: registry.example.com/${a.app}:1.${k}
    resources:
      requests: {cpu: 100m, memory: 128Mi}
      limits: {memory: 256Mi}
    ports:
    - name: ${a.portName}
      containerPort: ${a.port}
      protocol: TCP
status:
  podIP: ${ip}
`);
      }
    }
    // Four NetworkPolicies per namespace; pods they do not select stay open.
    networkPolicies += 4;
    out.push(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: db-from-api
  namespace: ${ns}
spec:
  podSelector:
    matchLabels:
      app: db
  policyTypes: [Ingress]
  ingress:
  - from:
    - podSelector:
        matchLabels:
          app: api
    ports:
    - port: postgres
      protocol: TCP
`);
    out.push(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: api-from-tenant
  namespace: ${ns}
spec:
  podSelector:
    matchLabels:
      app: api
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector:
        matchLabels:
          tenant: ${tenant}
    ports:
    - port: 8443
      protocol: TCP
`);
    out.push(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: frontend-open
  namespace: ${ns}
spec:
  podSelector:
    matchLabels:
      app: frontend
  ingress:
  - from:
    - namespaceSelector: {}
    - ipBlock:
        cidr: 0.0.0.0/0
        except: [10.0.0.0/8]
    ports:
    - {port: 8080, protocol: TCP}
`);
    out.push(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: worker-egress
  namespace: ${ns}
spec:
  podSelector:
    matchLabels:
      app: worker
  policyTypes: [Egress]
  egress:
  - to:
    - namespaceSelector:
        matchLabels:
          tenant: ${tenant}
  - to:
    - ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}
    ports:
    - {port: 443, protocol: TCP}
  - ports:
    - {port: 53, protocol: UDP}
`);
  }
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  for (let p = 0; p < CLI_CLUSTER.adminPolicies; p++) {
    const rules: { egress: string[]; ingress: string[] } = { egress: [], ingress: [] };
    for (let r = 0; r < CLI_CLUSTER.rulesPerAdmin; r++) {
      const direction = r % 2 === 0 ? "egress" : "ingress";
      const action = pick(["Allow", "Deny", "Pass", "Pass"]);
      const key = direction === "egress" ? "to" : "from";
      const app = pick(APPS);
      const peer =
        rand() < 0.2
          ? direction === "egress"
            ? `    - networks: [203.0.${r}.0/24]`
            : `    - namespaces:\n        matchLabels: {env: prod}`
          : `    - pods:\n        namespaceSelector:\n          matchLabels: {tenant: t${Math.floor(rand() * CLI_CLUSTER.tenants)}}\n        podSelector:\n          matchLabels: {app: ${app.app}}`;
      rules[direction].push(
        `  - name: r${r}\n    action: ${action}\n    ${key}:\n${peer}\n    ports:\n    - portNumber: {protocol: TCP, port: ${pick(APPS).port}}`,
      );
    }
    const subject = p % 4 === 0 ? "    namespaces: {}" : `    namespaces:\n      matchLabels: {env: ${p % 2 === 0 ? "prod" : "dev"}}`;
    out.push(`apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata:
  name: anp-${p}
spec:
  priority: ${p * 5}
  subject:
${subject}
  ingress:
${rules.ingress.join("\n")}
  egress:
${rules.egress.join("\n")}
`);
  }
  out.push(`apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata:
  name: default
spec:
  subject:
    namespaces: {}
  egress:
  - name: no-metadata-service
    action: Deny
    to:
    - networks: [169.254.169.254/32]
`);
  const adminRules = CLI_CLUSTER.adminPolicies * CLI_CLUSTER.rulesPerAdmin;
  return { yaml: out.join("---\n"), pods, counts: { pods: pods.length, networkPolicies, adminRules } };
}

/**
 * `count` flow lines as a flow log records them: `distinct` connections (mostly
 * within a tenant, some to pod IPs and external addresses), a few of them chatty
 * (drawn with a skewed distribution), and every line stamped with its own
 * `time`, so that no two lines are the same text.
 */
export function cliFlowLines(pods: readonly SyntheticPod[], count: number, distinct = 50_000): string[] {
  const rand = prng(7);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const tenantOf = (p: SyntheticPod) => Number(p.namespace.slice(3)) % CLI_CLUSTER.tenants;
  const byTenant = new Map<number, SyntheticPod[]>();
  for (const p of pods) byTenant.set(tenantOf(p), [...(byTenant.get(tenantOf(p)) ?? []), p]);
  const connections: { src: string; dst: string; port: number }[] = [];
  for (let i = 0; i < distinct; i++) {
    const s = pick(pods);
    const src = `${s.namespace}/${s.name}`;
    const r = rand();
    if (r < 0.05) connections.push({ src, dst: pick(["198.51.100.20", "203.0.3.7", "8.8.8.8"]), port: pick([443, 53, 8443]) });
    else {
      const d = r < 0.75 ? pick(byTenant.get(tenantOf(s))!) : pick(pods);
      connections.push({ src, dst: r < 0.15 ? d.ip : `${d.namespace}/${d.name}`, port: d.port });
    }
  }
  const start = Date.parse("2026-11-30T00:00:00Z");
  return Array.from({ length: count }, (_, i) => {
    const c = connections[Math.floor(rand() ** 2 * connections.length)]!;
    const time = new Date(start + i * 3 + Math.floor(rand() * 3)).toISOString();
    return JSON.stringify({ time, src: c.src, dst: c.dst, port: c.port, protocol: "TCP" });
  });
}
