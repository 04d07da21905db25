#!/usr/bin/env node
// `npm test`: typecheck, lint, unit tests, integration tests on PGlite and on
// PostgreSQL (when a server is reachable), then e2e in Chromium. Every step
// runs even after a failure; the exit code is non-zero if any step failed.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import postgres from "postgres";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const reports = path.join(root, "test-results", "reports");
rmSync(reports, { recursive: true, force: true });
mkdirSync(reports, { recursive: true });
const bin = (name) => path.join(root, "node_modules", ".bin", name);
const POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

const steps = [];
const totals = { passed: 0, failed: 0, skipped: 0 };

function run(name, command, args, env = {}, report) {
  console.log(`\n━━ ${name} ━━`);
  const started = Date.now();
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit", env: { ...process.env, ...env } });
  const ok = result.status === 0;
  if (report) countTests(report);
  steps.push({ name, ok, seconds: ((Date.now() - started) / 1000).toFixed(1) });
  return ok;
}

/**
 * Like run(), but in the background with its output kept aside and printed whole when it ends,
 * so steps that each leave part of the machine idle share it.
 */
function runAside(name, command, args, env, report) {
  const started = Date.now();
  const chunks = [];
  const child = spawn(command, args, { cwd: root, env: { ...process.env, ...env, FORCE_COLOR: "1" } });
  child.stdout.on("data", (c) => chunks.push(c));
  child.stderr.on("data", (c) => chunks.push(c));
  return new Promise((resolve) => {
    child.on("close", (status) => {
      console.log(`\n━━ ${name} ━━`);
      process.stdout.write(Buffer.concat(chunks));
      if (report) countTests(report);
      steps.push({ name, ok: status === 0, seconds: ((Date.now() - started) / 1000).toFixed(1) });
      resolve(status === 0);
    });
  });
}

/** Adds a vitest or Playwright JSON report's test counts to the totals. */
function countTests(file) {
  if (!existsSync(file)) return;
  const data = JSON.parse(readFileSync(file, "utf8"));
  if (typeof data.numTotalTests === "number") {
    totals.passed += data.numPassedTests;
    totals.failed += data.numFailedTests;
    totals.skipped += data.numPendingTests + (data.numTodoTests ?? 0);
  } else if (data.stats) {
    totals.passed += data.stats.expected + (data.stats.flaky ?? 0);
    totals.failed += data.stats.unexpected;
    totals.skipped += data.stats.skipped;
  }
}

async function postgresReachable() {
  const sql = postgres(POSTGRES_URL, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await sql`select 1`;
    return true;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}

/**
 * What git sees as changed or untracked, so the run can tell whether a test
 * step (a build, a bench, a seed) left the tree different from how it found it.
 * Null outside a git checkout.
 */
function treeState() {
  const git = (...args) => spawnSync("git", args, { cwd: root, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  const status = git("status", "--porcelain", "--untracked-files=all");
  if (status.status !== 0) return null;
  const diff = git("diff", "HEAD", "--binary");
  return { entries: status.stdout.split("\n").filter(Boolean), diff: diff.stdout };
}

const treeBefore = treeState();

const vitest = (project, reportName) => [
  bin("vitest"),
  ["run", "--project", project, "--reporter=default", "--reporter=json", `--outputFile.json=${path.join(reports, reportName)}`],
];

// Three single-threaded checks: lint and format run beside the typecheck.
const checksAside = [
  runAside("lint", bin("eslint"), ["--max-warnings", "0", "."], {}),
  runAside("format (prettier --check; npm run format fixes it)", bin("prettier"), ["--check", "--log-level", "warn", "."], {}),
];
run("typecheck", bin("tsc"), ["--noEmit", "-p", "."]);
await Promise.all(checksAside);
// Two lanes on the two cores: the unit tests then e2e (the production build, then the browser against it)
// in one, the two integration runs one after the other in the other; each step prints whole when it ends.
// Three test runs side by side oversubscribed the machine, and the unit tests sit in the e2e lane so that
// both lanes end together (the measured times: docs/benchmarks.md, "npm test").
async function unitThenE2e() {
  await runAside("unit tests", ...vitest("unit", "unit.json"), {}, path.join(reports, "unit.json"));
  await runAside(
    "e2e in Chromium",
    bin("playwright"),
    ["test"],
    { PLAYWRIGHT_JSON_OUTPUT_NAME: path.join(reports, "e2e.json") },
    path.join(reports, "e2e.json"),
  );
}
async function integrationRuns() {
  const reachable = await postgresReachable();
  if (reachable === true)
    await runAside(
      "integration tests on PostgreSQL",
      ...vitest("integration", "postgres.json"),
      { TEST_DB: "postgres", TEST_POSTGRES_URL: POSTGRES_URL },
      path.join(reports, "postgres.json"),
    );
  else {
    console.log(
      `\n━━ integration tests on PostgreSQL ━━\nSKIPPED: no PostgreSQL server reachable at ${POSTGRES_URL} (${reachable}). Set TEST_POSTGRES_URL to run them.`,
    );
    steps.push({ name: "integration tests on PostgreSQL", ok: true, seconds: "0.0", skipped: true });
  }
  await runAside(
    "integration tests on PGlite",
    ...vitest("integration", "pglite.json"),
    { TEST_DB: "pglite" },
    path.join(reports, "pglite.json"),
  );
}
await Promise.all([unitThenE2e(), integrationRuns()]);

if (treeBefore) {
  console.log("\n━━ the tree stays clean ━━");
  const after = treeState();
  const before = new Set(treeBefore.entries);
  const changed = after.entries.filter((entry) => !before.has(entry));
  const ok = changed.length === 0 && after.diff === treeBefore.diff;
  if (!ok) {
    console.log(
      "The test run changed tracked files or left untracked ones (add generated folders to .gitignore, commit generated files in the form their tool writes):",
    );
    for (const entry of changed.length > 0 ? changed : ["(the content of a file that was already modified before the run)"])
      console.log(`  ${entry}`);
  }
  steps.push({ name: "the tree stays clean", ok, seconds: "0.0" });
}

console.log("\n━━ summary ━━");
for (const s of steps) console.log(`${s.skipped ? "SKIP" : s.ok ? "PASS" : "FAIL"}  ${s.name} (${s.seconds} s)`);
const failedSteps = steps.filter((s) => !s.ok).length;
console.log(`tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(failedSteps > 0 ? 1 : 0);
