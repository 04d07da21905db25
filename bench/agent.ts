/**
 * Agent benchmark (issue 16, performance): `policyplane agent --apply` (the CLI bundle, its own
 * process) keeping a 5,000-pod cluster current. The cluster is the test Kubernetes API
 * (server/testing/kube-api.ts: list, watch, server-side apply) holding 5,000 pods in 100 namespaces,
 * 1,000 services and the release's objects, each pod laid out as the API server returns one (owner
 * references, managed fields, containers with ports, env and resources, conditions and container
 * statuses: ~3 KB of JSON each); Policyplane is the real REST app (`policyplane serve`'s handler)
 * on an in-memory PGlite in this process, seeded with the demo organisation and one release.
 *
 *   npx tsx --conditions=react-server bench/agent.ts [--rest-seconds 20] [--interval 10] [--pods 5000] [--semi-space 1]
 *
 * (`--pods 0` gives the agent's fixed cost: Node, the bundle and @kubernetes/client-node.)
 *
 * Printed: the agent's RSS and V8 heap (used, after a full GC) once its first push (the initial
 * list of everything) is done; then its CPU time over a window at rest (no cluster events; the
 * watches idle; the resync every --interval seconds pushes all 5,000+ objects again and --apply
 * reads the desired state every 10 s, an unchanged one answered 304), as a share of one core.
 * Targets: < 50 MB of memory and < 1 % of a core at rest.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { eq } from "drizzle-orm";
import { openTestDatabase } from "../db/testing";
import * as t from "../db/schema";
import { serveApi } from "../server/cli/commands/serve";
import { seedDemoOrganisation } from "../server/seed/demo";
import { callerFor, DEMO_PEOPLE } from "../server/testing/actors";
import { startFakeKubeApi, type KubeObject } from "../server/testing/kube-api";
import { releaseToCanary } from "../server/testing/releases";
import { machineDescription } from "./lib/report";

const arg0 = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const PODS = arg0("--pods", 5_000);
const NAMESPACES = 100;
const SERVICES = 1_000;
const CLUSTER = "staging-eu-1";
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const REST_SECONDS = arg("--rest-seconds", 20);
/** V8's young generation cap for the agent (`node --max-semi-space-size`, MB); 0: Node's default. */
const SEMI_SPACE = arg("--semi-space", 0);
const INTERVAL = arg("--interval", 10);
/** More node flags for the agent's process (`--node-flags "--jitless --foo"`), to try some. */
const NODE_FLAGS = process.argv.includes("--node-flags")
  ? (process.argv[process.argv.indexOf("--node-flags") + 1] ?? "").split(" ").filter((f) => f.startsWith("--"))
  : [];
/** `--in-process`: the agent runs in the CLI's own process (no agent flags, no launcher), as before bin/agent-process.mjs. */
const IN_PROCESS = process.argv.includes("--in-process");

/** A process's resident memory from /proc (RSS; PSS, which splits pages shared with other processes; anonymous). */
function residentOf(pid: number) {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(text)?.[1] ?? 0) * 1024;
  return { rss: kb("Rss"), pss: kb("Pss"), anonymous: kb("Anonymous") };
}

/** The agent's process: the launcher's child (bin/agent-process.mjs), or the launcher itself when it runs in-process. */
async function agentPid(launcher: number): Promise<number> {
  if (IN_PROCESS) return launcher;
  for (let i = 0; i < 200; i++) {
    const children = readFileSync(`/proc/${launcher}/task/${launcher}/children`, "utf8").trim();
    if (children) return Number(children.split(/\s+/)[0]);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("the launcher started no agent process");
}

/** A pod as `GET /api/v1/pods` returns it on a real cluster (less kind/apiVersion, which the fake strips in lists). */
function pod(i: number): KubeObject {
  const ns = `team-${i % NAMESPACES}`;
  const app = `svc-${i % SERVICES}`;
  const name = `${app}-7d9f8b6c5-${(i * 7919).toString(36).padStart(5, "x").slice(-5)}`;
  const at = "2026-11-30T08:12:44Z";
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: ns,
      generateName: `${app}-7d9f8b6c5-`,
      labels: {
        app,
        "pod-template-hash": "7d9f8b6c5",
        tier: i % 3 === 0 ? "frontend" : "backend",
        "app.kubernetes.io/part-of": `product-${i % 20}`,
      },
      annotations: { "kubectl.kubernetes.io/restartedAt": at, "prometheus.io/scrape": "true", "prometheus.io/port": "9102" },
      ownerReferences: [
        {
          apiVersion: "apps/v1",
          kind: "ReplicaSet",
          name: `${app}-7d9f8b6c5`,
          uid: `rs-${i % SERVICES}`,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
      managedFields: [
        {
          manager: "kube-controller-manager",
          operation: "Update",
          apiVersion: "v1",
          time: at,
          fieldsType: "FieldsV1",
          fieldsV1: {
            "f:metadata": { "f:generateName": {}, "f:labels": { ".": {}, "f:app": {} }, "f:ownerReferences": {} },
            "f:spec": { "f:containers": {} },
          },
        },
        {
          manager: "kubelet",
          operation: "Update",
          apiVersion: "v1",
          time: at,
          fieldsType: "FieldsV1",
          subresource: "status",
          fieldsV1: {
            "f:status": {
              "f:conditions": {},
              "f:containerStatuses": {},
              "f:hostIP": {},
              "f:phase": {},
              "f:podIP": {},
              "f:podIPs": {},
              "f:startTime": {},
            },
          },
        },
      ],
    },
    spec: {
      containers: [
        {
          name: "app",
          image: `registry.example.com/${app}:1.${i % 17}.3`,
          ports: [
            { name: "http", containerPort: 8080, protocol: "TCP" },
            { name: "metrics", containerPort: 9102, protocol: "TCP" },
          ],
          env: [
            { name: "LOG_LEVEL", value: "info" },
            { name: "POD_NAME", valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "metadata.name" } } },
          ],
          resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } },
          volumeMounts: [{ name: "kube-api-access", mountPath: "/var/run/secrets/kubernetes.io/serviceaccount", readOnly: true }],
          terminationMessagePath: "/dev/termination-log",
          terminationMessagePolicy: "File",
          imagePullPolicy: "IfNotPresent",
        },
      ],
      volumes: [
        {
          name: "kube-api-access",
          projected: { defaultMode: 420, sources: [{ serviceAccountToken: { expirationSeconds: 3607, path: "token" } }] },
        },
      ],
      restartPolicy: "Always",
      terminationGracePeriodSeconds: 30,
      dnsPolicy: "ClusterFirst",
      serviceAccountName: "default",
      nodeName: `node-${i % 60}`,
      schedulerName: "default-scheduler",
      tolerations: [{ key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 }],
    },
    status: {
      phase: "Running",
      conditions: ["Initialized", "Ready", "ContainersReady", "PodScheduled"].map((type) => ({
        type,
        status: "True",
        lastProbeTime: null,
        lastTransitionTime: at,
      })),
      hostIP: `192.168.${(i % 60) >> 8}.${i % 60}`,
      podIP: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      podIPs: [{ ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` }],
      startTime: at,
      containerStatuses: [
        {
          name: "app",
          state: { running: { startedAt: at } },
          ready: true,
          restartCount: 0,
          image: `registry.example.com/${app}:1.${i % 17}.3`,
          imageID: `registry.example.com/${app}@sha256:${"ab".repeat(32)}`,
          containerID: `containerd://${"cd".repeat(32)}`,
          started: true,
        },
      ],
      qosClass: "Burstable",
    },
  };
}

function service(i: number): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: `svc-${i}`, namespace: `team-${i % NAMESPACES}`, labels: { app: `svc-${i}` } },
    spec: {
      selector: { app: `svc-${i}` },
      clusterIP: `10.96.${i >> 8}.${i & 255}`,
      ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }],
      type: "ClusterIP",
    },
  };
}

/** Asks the agent's probe (loaded with --import) for its memory and CPU; it answers one stderr line. */
const PROBE = `import v8 from "node:v8";
import { readFileSync } from "node:fs";
const kb = (text, key) => Number(new RegExp("^" + key + ":\\\\s+(\\\\d+)", "m").exec(text)?.[1] ?? 0) * 1024;
process.on("SIGUSR2", () => {
  const before = process.memoryUsage();
  globalThis.gc?.();
  const after = process.memoryUsage();
  const cpu = process.cpuUsage();
  const smaps = readFileSync("/proc/self/smaps_rollup", "utf8");
  const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, s.space_size]));
  process.stderr.write("pp-probe " + JSON.stringify({ rss: before.rss, heapUsed: before.heapUsed, rssAfterGc: after.rss, heapAfterGc: after.heapUsed, heapTotal: after.heapTotal, external: after.external, arrayBuffers: after.arrayBuffers, anonymous: kb(smaps, "Anonymous"), fileBacked: kb(smaps, "Rss") - kb(smaps, "Anonymous"), spaces, cpuUs: cpu.user + cpu.system, at: Date.now(), heapLimit: v8.getHeapStatistics().heap_size_limit }) + "\\n");
});
`;

type Probe = {
  rss: number;
  heapUsed: number;
  rssAfterGc: number;
  heapAfterGc: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  anonymous: number;
  fileBacked: number;
  spaces: Record<string, number>;
  cpuUs: number;
  at: number;
};
/** Where the agent's resident memory sits: anonymous (heap, malloc) vs file-backed (Node's binary, mapped code). */
const breakdown = (p: Probe) => ({
  rss: mb(p.rss),
  rssAfterGc: mb(p.rssAfterGc),
  anonymous: mb(p.anonymous),
  fileBacked: mb(p.fileBacked),
  heapUsed: mb(p.heapUsed),
  heapAfterGc: mb(p.heapAfterGc),
  heapCommitted: mb(p.heapTotal),
  external: mb(p.external),
  arrayBuffers: mb(p.arrayBuffers),
  v8Spaces: Object.fromEntries(Object.entries(p.spaces).map(([k, v]) => [k, mb(v)])),
});
const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MB`;

async function main() {
  const handle = await openTestDatabase();
  const db = handle.db;
  await seedDemoOrganisation(db);
  await releaseToCanary(db, "bench-agent");
  const admin = await callerFor(db, DEMO_PEOPLE.admin);
  const [staging] = await db.select().from(t.clusters).where(eq(t.clusters.name, CLUSTER));
  const { token } = await admin.settings.createToken({
    name: "bench-agent",
    role: "admin",
    tenantId: null,
    scopes: ["observed-state", "manifests"],
    clusterId: staging!.id,
    expiresInDays: 1,
  });
  const { server, url } = await serveApi(async () => db, 0, "127.0.0.1");
  const desiredText = await (
    await fetch(`${url}/api/v1/clusters/${CLUSTER}/desired`, { headers: { authorization: `Bearer ${token}` } })
  ).text();
  const desired = parseAllDocuments(desiredText).map((d) => d.toJSON() as KubeObject);

  const objects: KubeObject[] = [
    ...Array.from({ length: NAMESPACES }, (_, i) => ({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: `team-${i}`, labels: { team: `t${i}` } },
    })),
    ...Array.from({ length: PODS }, (_, i) => pod(i)),
    ...Array.from({ length: SERVICES }, (_, i) => service(i)),
    ...["cilium", "kube-proxy"].map((name) => ({ apiVersion: "apps/v1", kind: "DaemonSet", metadata: { name, namespace: "kube-system" } })),
    ...desired,
  ];
  const podListBytes = JSON.stringify(objects.filter((o) => o.kind === "Pod")).length;
  const kube = await startFakeKubeApi({
    crds: [
      {
        group: "policy.networking.k8s.io",
        plural: "adminnetworkpolicies",
        kind: "AdminNetworkPolicy",
        versions: ["v1alpha1"],
        scope: "Cluster",
      },
      {
        group: "policy.networking.k8s.io",
        plural: "baselineadminnetworkpolicies",
        kind: "BaselineAdminNetworkPolicy",
        versions: ["v1alpha1"],
        scope: "Cluster",
      },
      { group: "cilium.io", plural: "ciliumnetworkpolicies", kind: "CiliumNetworkPolicy", versions: ["v2"] },
      {
        group: "cilium.io",
        plural: "ciliumclusterwidenetworkpolicies",
        kind: "CiliumClusterwideNetworkPolicy",
        versions: ["v2"],
        scope: "Cluster",
      },
      { group: "security.istio.io", plural: "authorizationpolicies", kind: "AuthorizationPolicy", versions: ["v1"] },
      ...(
        [
          ["serviceentries", "ServiceEntry"],
          ["virtualservices", "VirtualService"],
          ["destinationrules", "DestinationRule"],
          ["gateways", "Gateway"],
        ] as const
      ).map(([plural, kind]) => ({ group: "networking.istio.io", plural, kind, versions: ["v1"] })),
    ],
    objects,
  });
  const dir = mkdtempSync(join(tmpdir(), "pp-bench-agent-"));
  const kubeconfig = kube.kubeconfig(dir);
  const probe = join(dir, "probe.mjs");
  writeFileSync(probe, PROBE);

  const bin = join(import.meta.dirname, "..", "bin", "policyplane.mjs");
  // The CLI bundle built first, as an install has it: a stale one is rebuilt by the CLI itself, in the
  // agent's process (esbuild's output, tens of MB, would count as the agent's).
  const built = spawnSync(process.execPath, [join(import.meta.dirname, "..", "bin", "cli-bundle.mjs")], { encoding: "utf8" });
  if (built.status !== 0 || !/policyplane CLI bundle: /.test(built.stdout))
    throw new Error(`the CLI bundle was not built: ${built.stdout}${built.stderr}`);
  const child = spawn(
    process.execPath,
    [
      "--expose-gc",
      ...(SEMI_SPACE > 0 ? [`--max-semi-space-size=${SEMI_SPACE}`] : []),
      ...NODE_FLAGS,
      "--import",
      probe,
      bin,
      "agent",
      "--server",
      url,
      "--token",
      token,
      "--cluster",
      CLUSTER,
      "--kubeconfig",
      kubeconfig,
      "--interval",
      String(INTERVAL),
      "--apply",
    ],
    { stdio: ["ignore", "pipe", "pipe"], env: IN_PROCESS ? { ...process.env, POLICYPLANE_AGENT_TUNED: "1" } : process.env },
  );
  const lines: string[] = [];
  const probes: Probe[] = [];
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (s: string) => lines.push(...s.split("\n").filter(Boolean)));
  child.stderr.setEncoding("utf8").on("data", (s: string) => {
    stderr += s;
    for (const m of s.matchAll(/pp-probe (.*)/g)) probes.push(JSON.parse(m[1]!) as Probe);
  });
  const until = async (what: string, ok: () => boolean, ms: number) => {
    const end = Date.now() + ms;
    while (!ok()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; agent stderr:\n${stderr.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const ask = async () => {
    const n = probes.length;
    process.kill(agent, "SIGUSR2");
    await until("the probe", () => probes.length > n, 10_000);
    return probes.at(-1)!;
  };
  const agent = await agentPid(child.pid!);
  const started = Date.now();
  await until("the first push", () => lines.some((l) => l.includes('"observed"')), 180_000);
  const firstPushMs = Date.now() - started;
  const first = JSON.parse(lines.find((l) => l.includes('"observed"'))!) as { objects: number; observed: { drift: unknown } };
  const afterList = await ask();
  await until("the first apply", () => lines.some((l) => l.includes('"apply"')), 60_000);
  // At rest: nothing changes in the cluster.
  const restStart = await ask();
  await new Promise((r) => setTimeout(r, REST_SECONDS * 1000));
  const restEnd = await ask();
  const agentResident = residentOf(agent);
  const launcherResident = IN_PROCESS ? null : residentOf(child.pid!);
  const restCpu = (restEnd.cpuUs - restStart.cpuUs) / 1000 / (restEnd.at - restStart.at);
  const pushesAtRest = lines.filter((l) => l.includes('"observed"')).length;
  const applyLines = lines
    .filter((l) => l.includes('"apply"'))
    .map((l) => (JSON.parse(l) as { apply: { applied: number; failed: unknown[] } }).apply);
  child.kill("SIGTERM");
  await kube.close();
  await new Promise((r) => server.close(r));

  const report = {
    cluster: `${PODS} pods (${mb(podListBytes)} of pod JSON as listed), ${SERVICES} services, ${NAMESPACES} namespaces, ${desired.length} desired objects`,
    firstPush: { ms: firstPushMs, objects: first.objects, drift: first.observed.drift },
    afterInitialList: breakdown(afterList),
    atRest: {
      seconds: ((restEnd.at - restStart.at) / 1000).toFixed(1),
      cpuPercentOfOneCore: (restCpu * 100).toFixed(2),
      pushes: pushesAtRest,
      rssAtEnd: mb(restEnd.rss),
      heapAfterGcAtEnd: mb(restEnd.heapAfterGc),
      atEnd: breakdown(restEnd),
    },
    // At the end of the rest: the agent's process and the launcher waiting for it (the same node binary:
    // their shared pages count in each one's RSS, split between them in PSS).
    processesAtRest: {
      agent: { rss: mb(agentResident.rss), pss: mb(agentResident.pss), anonymous: mb(agentResident.anonymous) },
      launcher: launcherResident && {
        rss: mb(launcherResident.rss),
        pss: mb(launcherResident.pss),
        anonymous: mb(launcherResident.anonymous),
      },
      togetherPss: mb(agentResident.pss + (launcherResident?.pss ?? 0)),
    },
    agentProcess: IN_PROCESS ? "in the CLI's process (--in-process)" : "its own (bin/agent-process.mjs)",
    applies: applyLines.map((a) => ({ applied: a.applied, failed: a.failed.length })),
    interval: INTERVAL,
    semiSpaceMb: SEMI_SPACE || "default",
    extraNodeFlags: NODE_FLAGS,
    machine: machineDescription(),
    loadavg: loadavg()
      .map((l) => l.toFixed(2))
      .join(" "),
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  await handle.close?.();
  process.exit(0);
}

void main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
