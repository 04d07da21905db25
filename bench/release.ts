/**
 * Release benchmark (issue 13, performance): the release of a 2,000-policy set,
 * snapshot and per-cluster render in < 2 s. The synthetic organisation of the
 * graph benchmark (2,000 workloads in 100 tenant namespaces, one cluster) gets
 * one more namespace policy per workload until the set holds 2,000 policies.
 *
 *   npx tsx --conditions=react-server bench/release.ts           # print figures
 *   npx tsx --conditions=react-server bench/release.ts --write   # also update the "Release" section of docs/benchmarks.md
 *   NODE_OPTIONS=--max-old-space-size=1024 npx tsx …             # within the engine worker's heap limit, as the figures were taken
 *
 * Figures (medians of 5 runs, in-memory PGlite):
 * - snapshot: the released policy set read, hashed and written as release entries (the release's transaction, rolled back);
 * - render: one cluster's documents and model loaded, and its objects compiled and hashed (what starting a wave does per cluster);
 * - compile check: what the release runs before it is recorded (issue 10, `checkReleaseCompile`): the cluster's
 *   objects compiled, read back and decided with plain Kubernetes semantics against the platform's decision
 *   order, one flow per (source class, destination class, port class); the flows it covers, the classes and
 *   the decisions it made are printed, and the process's peak memory;
 * - release: snapshot + compile check + render, one cluster.
 */
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { openDatabase } from "../db/client";
import * as t from "../db/schema";
import { contentHash } from "../server/lib/canonical";
import { releasedDocuments } from "../server/drafts/documents";
import { platformDefaultInForce } from "../server/platform-default/get";
import { checkReleaseCompile, renderRelease } from "../server/releases/render";
import { compileDocuments } from "../server/policy/compile/compile";
import { verifyCompiled } from "../server/policy/compile/verify";
import { asLocated } from "../server/drafts/engine";
import { releaseTargets } from "../server/releases/rollout";
import { policySetHash, releasedPolicySet } from "../server/releases/snapshot";
import type { PolicyplaneDocument } from "../server/policy/documents/schema";
import { BENCH_USER, seedSyntheticOrg } from "./lib/graph-seed";
import { SYNTHETIC, syntheticOrg } from "./lib/graph-synthetic";
import { machineDescription, writeSection, type Row } from "./lib/report";

const POLICIES = 2_000;
const RUNS = 5;
const TARGET_MS = 2_000;
/** The engine worker stops a task after this long and refuses the release as too large (server/engine-pool). */
const CHECK_LIMIT_MS = 30_000;
const WRITE = process.argv.includes("--write");

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

class RolledBack extends Error {}

async function main() {
  const handle = await openDatabase({ kind: "pglite", dataDir: null });
  const db = handle.db;
  await seedSyntheticOrg(db);
  const org = syntheticOrg();
  const [admin] = await db.select().from(t.user).where(eq(t.user.email, BENCH_USER.email));
  const tenantRows = await db.select().from(t.tenants);
  const tenantId = new Map(tenantRows.map((r) => [r.name, r.id]));

  // One policy per workload ("accept 8080 from the namespace's api tier") until there are 2,000.
  const extra: { document: PolicyplaneDocument; tenant: string }[] = [];
  for (const ns of org.namespaces)
    for (const w of ns.workloads) {
      if (!ns.tenant || org.documents.length + extra.length >= POLICIES) continue;
      extra.push({
        tenant: ns.tenant,
        document: {
          apiVersion: "policyplane.io/v1",
          kind: "Policy",
          metadata: { name: `${w.name}-in`, tenant: ns.tenant, owner: ns.tenant },
          spec: {
            tier: "namespace",
            subject: { namespaces: [ns.name], podSelector: { matchLabels: { app: w.labels.app! } } },
            rules: [
              {
                name: "from-api",
                direction: "ingress",
                action: "allow",
                peers: [{ workloads: { namespaces: [ns.name], podSelector: { matchLabels: { tier: "api" } } } }],
                ports: [{ port: 8080, protocol: "TCP" }],
              },
            ],
          },
        } as PolicyplaneDocument,
      });
    }
  await db.transaction(async (q) => {
    for (const { document, tenant } of extra) {
      const [policy] = await q
        .insert(t.policies)
        .values({
          kind: "Policy",
          name: document.metadata.name,
          tier: "namespace",
          tenantId: tenantId.get(tenant)!,
          owner: tenant,
          releasedVersion: 1,
          latestVersion: 1,
        })
        .returning();
      await q.insert(t.policyVersions).values({
        policyId: policy!.id,
        version: 1,
        document: document as t.StoredPolicyDocument,
        contentHash: contentHash(document),
        authorId: admin!.id,
        authorLabel: BENCH_USER.email,
        message: "bench",
      });
    }
  });
  const count = (await releasedPolicySet(db)).length;
  console.log(
    `policy set: ${count} policies, cluster ${SYNTHETIC.cluster} with ${org.namespaces.reduce((n, ns) => n + ns.workloads.length, 0)} workloads`,
  );

  // Snapshot: as the release does it, inside a transaction that is then rolled back (so every run starts alike).
  const snapshots: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    await db
      .transaction(async (q) => {
        const entries = await releasedPolicySet(q);
        const [release] = await q
          .insert(t.releases)
          .values({
            number: 1_000_000 + i,
            title: "bench",
            policySetHash: policySetHash(entries, await platformDefaultInForce(q)),
            createdByLabel: "bench",
          })
          .returning({ id: t.releases.id });
        await q
          .insert(t.releaseEntries)
          .values(entries.map((e) => ({ ...e, releaseId: release!.id, changed: false, previousVersion: e.version })));
        snapshots.push(performance.now() - start);
        throw new RolledBack();
      })
      .catch((e: unknown) => {
        if (!(e instanceof RolledBack)) throw e;
      });
  }

  console.log(`snapshot: ${snapshots.map((x) => Math.round(x)).join(", ")} ms`);
  // Per-cluster render: load the documents and the cluster's model, compile, hash.
  const renders: number[] = [];
  const loads: number[] = [];
  let objects = 0;
  const time = new Date().toISOString();
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    const [documents, clusters, setting] = await Promise.all([releasedDocuments(db), releaseTargets(db), platformDefaultInForce(db)]);
    loads.push(performance.now() - start);
    const [rendered] = renderRelease({
      documents,
      clusters,
      platformDefault: { enabled: setting.enabled, excludeNamespaces: setting.excludeNamespaces },
      release: "1",
      time,
    });
    if (rendered!.errors.length) throw new Error(`the render failed: ${rendered!.errors.join("; ")}`);
    objects = rendered!.objects;
    renders.push(performance.now() - start);
    console.log(`render ${i + 1}: ${Math.round(renders.at(-1)!)} ms (load ${Math.round(loads.at(-1)!)} ms)`);
  }

  // The compile check, as the release runs it (in the engine worker: no database, the inputs passed in).
  const [documents, clusters, setting] = await Promise.all([releasedDocuments(db), releaseTargets(db), platformDefaultInForce(db)]);
  await handle.close();
  const checkInput = {
    documents,
    clusters,
    platformDefault: { enabled: setting.enabled, excludeNamespaces: setting.excludeNamespaces },
    release: "1",
    time,
  };
  const checks: number[] = [];
  const checkCpu: number[] = [];
  let flows = 0;
  let disagreements = 0;
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    const cpu = process.cpuUsage();
    const [check] = checkReleaseCompile(checkInput);
    checks.push(performance.now() - start);
    const used = process.cpuUsage(cpu);
    checkCpu.push((used.user + used.system) / 1000);
    if (check!.errors.length) throw new Error(`the compile failed: ${check!.errors.join("; ")}`);
    flows = check!.flows;
    disagreements = check!.disagreementCount;
    console.log(
      `compile check ${i + 1}: ${Math.round(checks.at(-1)!)} ms, CPU ${Math.round(checkCpu.at(-1)!)} ms (${flows} flows, ${disagreements} disagreement(s))`,
    );
  }
  // Once more by parts, for the figures: the compile alone, then the verification and its classes.
  const cluster = clusters[0]!;
  let start = performance.now();
  const compiled = compileDocuments(documents.map(asLocated), cluster, {
    target: cluster.target,
    release: "1",
    now: time,
    platformDefault: checkInput.platformDefault,
  });
  const compileMs = performance.now() - start;
  start = performance.now();
  const verified = verifyCompiled(compiled, {
    target: cluster.target,
    platformDefault: checkInput.platformDefault,
    time,
    listNotExpressible: false,
    maxFindings: 20,
  });
  const verifyMs = performance.now() - start;
  const { sources, destinations, ports } = verified.classes;
  console.log(
    `by parts: compile ${Math.round(compileMs)} ms, verify ${Math.round(verifyMs)} ms: ${sources} source × ${destinations} destination × ${ports} port classes, ${verified.decided} decisions per side for ${verified.flows} flows`,
  );
  const peakMb = Math.round(process.resourceUsage().maxRSS / 1024);
  console.log(`peak resident memory of the whole benchmark process: ${peakMb} MB`);

  const snapshot = median(snapshots);
  const render = median(renders);
  const check = median(checks);
  const rows: Row[] = [
    [`snapshot of ${count} policies (read, hash, write entries)`, `${Math.round(snapshot)} ms`, "", true],
    [`render of one cluster (${objects} objects; load ${Math.round(median(loads))} ms of it)`, `${Math.round(render)} ms`, "", true],
    [`snapshot + per-cluster render`, `${Math.round(snapshot + render)} ms`, `< ${TARGET_MS} ms`, snapshot + render < TARGET_MS],
    [
      `compile check of one cluster (compile ${Math.round(compileMs)} ms + verify ${Math.round(verifyMs)} ms, measured once apart)`,
      `${Math.round(check)} ms`,
      `< ${CHECK_LIMIT_MS / 1000} s (the engine's limit)`,
      check < CHECK_LIMIT_MS,
    ],
    [
      `CPU time of the compile check (this process's threads, GC included: less sensitive to the load than the elapsed time)`,
      `${Math.round(median(checkCpu))} ms`,
      "",
      true,
    ],
    [
      `flows the check covers: ${sources} source × ${destinations} destination × ${ports} port classes, ${verified.decided} decisions per side`,
      `${verified.flows} flows`,
      "",
      true,
    ],
    [`release: snapshot + compile check + per-cluster render`, `${Math.round(snapshot + check + render)} ms`, "", true],
    [`peak resident memory of the benchmark process (PGlite included)`, `${peakMb} MB`, "", true],
  ];
  for (const [what, value, target, ok] of rows)
    console.log(`${what.padEnd(80)} ${value.padStart(9)} ${target} ${target ? (ok ? "met" : "MISSED") : ""}`);
  if (WRITE)
    writeSection(
      join(import.meta.dirname, "..", "docs", "benchmarks.md"),
      "Release",
      "`npx tsx --conditions=react-server bench/release.ts` (issue 13): a 2,000-policy set on the synthetic organisation's cluster (2,000 workloads), in-memory PGlite, medians of 5 runs.",
      machineDescription(),
      rows,
      [
        "The render is what starting a wave does for each of its clusters; clusters render independently, so a wave's time is the sum over its clusters (in the engine's worker threads).",
        `The compile check (issue 10) runs before the release is recorded: it decides one flow per (source class, destination class, port class) on each side instead of every identity pair (before, on this cluster, it exhausted a 4 GB heap after five minutes), without caching decisions, and lists at most 20 disagreements per cluster while counting all. The engine worker still stops it after 30 s and refuses the release as too large; at ${Math.round(check)} ms elapsed under this load (${Math.round(median(checkCpu))} ms of CPU) it fits, with the load as the margin to watch. Run with \`NODE_OPTIONS=--max-old-space-size=1024\` (the engine worker's heap limit), the check fit in that heap.`,
        "Load: the machine's 2 cores are shared with other helpers building and testing at the same time (see the load average above); every elapsed time here is several times what an idle machine gives (the render alone took 1.1 s at load 0.7 in an earlier run of this benchmark). The check's elapsed time is best read against the render's in the same run.",
        "Where the check's time goes (CPU profile of compile + verify on this cluster): the compile about a quarter; writing the objects as YAML and reading them back about half; building the two evaluators and the class signatures most of the rest; the 47k decisions per side under 2 %. Faster from here means a cheaper read-back or evaluator build (the identity table tests every Service selector against every pod), not fewer decisions.",
      ],
    );
  if (snapshot + render >= TARGET_MS) process.exitCode = 1;
}

await main();
