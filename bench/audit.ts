/**
 * Audit benchmark (issue 13, Performance): 1,000,000 keyed, chained audit events
 * bulk-inserted (COPY) into a fresh database; then the full verification
 * (`npm run audit:verify`'s walk) and the Audit page's data (incremental
 * verification from the last verified position plus the first page of events).
 * PGlite always; PostgreSQL too when 127.0.0.1:5432 (TEST_POSTGRES_URL) answers.
 *
 *   npx tsx --conditions=react-server bench/audit.ts            # print figures
 *   npx tsx --conditions=react-server bench/audit.ts --write    # also update the "Audit trail" section of docs/benchmarks.md
 *   AUDIT_BENCH_EVENTS=100000 npx tsx --conditions=react-server bench/audit.ts   # a smaller trail
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase, type DatabaseHandle } from "../db/client";
import { createPostgresTestDatabase } from "../db/testing";
import { auditKeyring, configureAudit, type AuditSettings } from "../server/audit/keys";
import { listAuditEvents, verifyAuditTrail } from "../server/audit/query";
import { recordAudit } from "../server/audit/record";
import { verifyEverything, verifyIncrementally } from "../server/audit/verifications";
import { systemActor, withTransaction } from "../server/context";
import { bulkInsertAuditTrail } from "./lib/audit-trail";
import { machineDescription, writeSection, type Row } from "./lib/report";

const ROOT = join(import.meta.dirname, "..");
const WRITE = process.argv.includes("--write");
const EVENTS = Number(process.env.AUDIT_BENCH_EVENTS ?? 1_000_000);
const PAGE_VISITS = 7;
const APPENDED = 50;

const settings: AuditSettings = {
  keyring: auditKeyring(randomBytes(32).toString("base64url")),
  checkpointFile: join(mkdtempSync(join(tmpdir(), "pp-bench-audit-")), "checkpoints.jsonl"),
  checkpointSeconds: 0,
};
configureAudit(settings);

/** A walk's time scaled to the target's 1,000,000 events (it grows linearly with the trail). */
const atTarget = (x: number) => (x * 1_000_000) / EVENTS;
const walkResult = (x: number) => (EVENTS === 1_000_000 ? ms(x) : `${ms(x)} (≈ ${ms(atTarget(x))} for 1,000,000)`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number) => `${Math.round(x).toLocaleString("en-GB")} ms`;

async function measure(kind: "pglite" | "postgres", handle: DatabaseHandle, rows: Row[], notes: string[]) {
  const inserted = await bulkInsertAuditTrail(handle, settings.keyring.current, EVENTS);
  const eps = Math.round(EVENTS / (inserted / 1000)).toLocaleString("en-GB");
  rows.push([`${kind}: bulk insert of ${EVENTS.toLocaleString("en-GB")} chained events (COPY)`, `${ms(inserted)} (${eps}/s)`, "—", true]);
  console.log(`${kind}: inserted ${EVENTS} events in ${ms(inserted)}`);

  let started = performance.now();
  const full = await verifyAuditTrail(handle.db, settings);
  const fullMs = performance.now() - started;
  if (!full.ok || full.checked !== EVENTS) throw new Error(`${kind}: the full verification failed: ${JSON.stringify(full)}`);
  rows.push([
    `${kind}: full verification (npm run audit:verify's walk)`,
    walkResult(fullMs),
    "< 10,000 ms at 1,000,000",
    atTarget(fullMs) < 10_000,
  ]);
  console.log(`${kind}: full verification of ${full.checked} events in ${ms(fullMs)}`);

  // "Verify everything" stores the verified head; the page's visits continue from it.
  started = performance.now();
  await verifyEverything(handle.db, settings, "bench");
  const everythingMs = performance.now() - started;
  rows.push([
    `${kind}: "Verify everything" (walk and store the verified head)`,
    walkResult(everythingMs),
    "< 10,000 ms at 1,000,000",
    atTarget(everythingMs) < 10_000,
  ]);

  const ctx = { db: handle.db, actor: systemActor("audit bench"), requestId: "bench" };
  const visits: number[] = [];
  for (let i = 0; i < PAGE_VISITS; i++) {
    for (let j = 0; j < APPENDED; j++)
      await withTransaction(ctx, (tx) => recordAudit(tx, { action: "policy.updated", targetType: "policy", targetId: `new-${i}-${j}` }));
    started = performance.now();
    const [status, page] = await Promise.all([verifyIncrementally(handle.db, settings, "bench"), listAuditEvents({ ctx, input: {} })]);
    visits.push(performance.now() - started);
    if (!status.ok || status.checked !== APPENDED || page.events.length !== 50)
      throw new Error(`${kind}: the page's data is wrong: ${JSON.stringify({ ...status, events: page.events.length })}`);
  }
  const page = median(visits);
  rows.push([
    `${kind}: Audit page's data (incremental verification of ${APPENDED} new events + first page), median of ${PAGE_VISITS}`,
    `${ms(page)} (range ${ms(Math.min(...visits))}–${ms(Math.max(...visits))})`,
    "< 500 ms",
    page < 500,
  ]);
  console.log(`${kind}: page data median ${ms(page)} over ${PAGE_VISITS} visits`);
  notes.push(
    `${kind}: the trail had ${(EVENTS + PAGE_VISITS * APPENDED + 1).toLocaleString("en-GB")} events at the last visit; each visit re-hashed only the ${APPENDED} events appended since the previous one.`,
  );
}

async function postgresReachable(): Promise<boolean> {
  const { default: postgres } = await import("postgres");
  const admin = postgres(process.env.TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres", {
    max: 1,
    connect_timeout: 3,
    onnotice: () => {},
  });
  try {
    await admin`SELECT 1`;
    return true;
  } catch {
    return false;
  } finally {
    await admin.end();
  }
}

const rows: Row[] = [];
const notes: string[] = [];
if (EVENTS < 1_000_000)
  notes.push(
    `Run with AUDIT_BENCH_EVENTS=${EVENTS}, not the 1,000,000 of the target: the full verification's time grows linearly with the trail (one page-wise walk), so 1,000,000 events take about ${Math.round(1_000_000 / EVENTS)} × the figure shown; the page's data does not grow with the trail.`,
  );
{
  const handle = await openDatabase({ kind: "pglite", dataDir: null });
  try {
    await measure("pglite", handle, rows, notes);
  } finally {
    await handle.close();
  }
}
if (await postgresReachable()) {
  const created = await createPostgresTestDatabase();
  const handle = await openDatabase({ kind: "postgres", url: created.url });
  try {
    await measure("postgres", handle, rows, notes);
  } finally {
    await handle.close();
    await created.drop();
  }
} else {
  notes.push("PostgreSQL was not reachable at TEST_POSTGRES_URL (default 127.0.0.1:5432): only PGlite was measured.");
}

const machine = machineDescription();
console.log(`\n${machine}`);
for (const [what, value, target, ok] of rows) console.log(`${ok ? "ok  " : "MISS"} ${what}: ${value} (target ${target})`);
if (WRITE) {
  writeSection(
    join(ROOT, "docs", "benchmarks.md"),
    "Audit trail",
    `\`npx tsx --conditions=react-server bench/audit.ts --write\`: a keyed, hash-chained trail of ${EVENTS.toLocaleString("en-GB")} events is bulk-inserted with COPY into a fresh database (in-memory PGlite; PostgreSQL when reachable). The full verification re-hashes every event (what \`npm run audit:verify\` does); the Audit page continues from the last stored, signed verification and re-hashes only what was appended since, then reads the newest page of events.`,
    machine,
    rows,
    notes,
  );
}
if (rows.some(([, , , ok]) => !ok)) process.exitCode = 1;
