/**
 * Editor compile-check benchmark (issue 10): the policy editor analyses its YAML as the author types
 * (reader, lint, subject matches, and the compile check: the whole organisation compiled for the shown
 * cluster and target, then verified flow by flow). The compile check is kept per (release, document
 * content hash, cluster, target), so text that reads as the same document — whitespace, comments, a
 * cluster tab visited again — is not compiled again. This times the engine's analysis of one of the
 * demo organisation's policies (every demo policy in force, the demo inventory) per edit that leaves
 * the document the same, without the kept compile (before) and with it (after), and per edit that
 * changes the document (a miss, as before). The lint, kept per text already, is passed in as the
 * service does, so the figures are the compile check's share.
 *
 *   npx tsx --conditions=react-server bench/editor-compile.ts            # print figures
 *   npx tsx --conditions=react-server bench/editor-compile.ts --write    # also update docs/benchmarks.md
 */
import { join } from "node:path";
import { openDatabase } from "../db/client";
import { documentToYaml } from "../lib/policy-yaml";
import { loadTargets } from "../server/changes/release-lint";
import { analyseDraftText, draftCompileCount, type DraftAnalysisInput } from "../server/drafts/analysis";
import { pendingDrafts, releasedWith } from "../server/drafts/documents";
import { tenantIdsByName } from "../server/drafts/validate";
import { PLATFORM_DEFAULT_ALL } from "../server/policy/model";
import { seedDemoOrganisation } from "../server/seed/demo";
import { machineDescription, writeSection, type Row } from "./lib/report";

const ROOT = join(import.meta.dirname, "..");
const WRITE = process.argv.includes("--write");
const EDITS = 15;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number) => `${x.toFixed(1)} ms`;

async function main() {
  const handle = await openDatabase({ kind: "pglite", dataDir: null });
  await seedDemoOrganisation(handle.db);
  const db = handle.db;
  // Every demo policy as the set in force (the seed releases none; its drafts are the organisation).
  const released = await releasedWith(db, await pendingDrafts(db));
  const [targets, tenants] = await Promise.all([loadTargets(db), tenantIdsByName(db)]);
  await handle.close();
  const edited = released.find((d) => d.kind === "Policy" && d.tier === "namespace")!;
  const yaml = documentToYaml(edited.document);
  const base: DraftAnalysisInput = { yaml, tenants: [...tenants.keys()], released, targets, platformDefault: PLATFORM_DEFAULT_ALL };
  // The lint the service keeps per text: computed once here and passed in, as analyseDraft does.
  const findings = analyseDraftText(base).findings.filter((f) => f.id !== "compile-disagreement");

  /** Each edit's analysis time and how many compile checks ran. */
  const run = (texts: string[], releaseKey?: string) => {
    const times: number[] = [];
    const before = draftCompileCount();
    for (const text of texts) {
      const t0 = performance.now();
      analyseDraftText({ ...base, yaml: text, findings, ...(releaseKey ? { releaseKey } : {}) });
      times.push(performance.now() - t0);
    }
    return { median: median(times), compiles: draftCompileCount() - before };
  };
  // Edits that leave the document the same: a comment typed letter by letter.
  const sameDocument = Array.from({ length: EDITS }, (_, i) => `${yaml}# ${"reviewed".slice(0, (i % 8) + 1)}${i}\n`);
  // Edits that change it: the description typed letter by letter.
  const newDocument = Array.from({ length: EDITS }, (_, i) => yaml.replace(/description: (.*)$/m, `description: $1 ${"x".repeat(i + 1)}`));

  const before = run(sameDocument);
  run([yaml], "bench-release"); // the first analysis of the document compiles it
  const after = run(sameDocument, "bench-release");
  const changing = run(newDocument, "bench-release");
  if (changing.compiles !== EDITS) throw new Error(`each changed document must compile once, got ${changing.compiles} of ${EDITS}`);
  const rows: Row[] = [
    [
      `analysis per edit that leaves the document the same, before (median of ${EDITS}; ${before.compiles} compile checks)`,
      ms(before.median),
      "—",
      true,
    ],
    [
      `the same with the kept compile check, after (median of ${EDITS}; ${after.compiles} compile checks)`,
      ms(after.median),
      "< before",
      after.median < before.median,
    ],
    [
      `analysis per edit that changes the document, after (median of ${EDITS}; ${changing.compiles} compile checks)`,
      ms(changing.median),
      "—",
      true,
    ],
  ];
  const machine = machineDescription();
  for (const [what, value] of rows) console.log(`${what}: ${value}`);
  console.log(machine);
  if (WRITE)
    writeSection(
      join(ROOT, "docs/benchmarks.md"),
      "Editor compile check",
      `\`npx tsx --conditions=react-server bench/editor-compile.ts\`: the engine's analysis of one namespace policy of the demo organisation (${released.length} policies in force, ${targets.length} clusters) as the editor asks for it per edit, the lint passed in as the service keeps it per text. The compile check (the organisation compiled for the shown cluster and target, then verified flow by flow) is kept per (release, document content hash, cluster, target, exceptions in their window).`,
      machine,
      rows,
      [
        "Before: every analysis compiled and verified the whole organisation again. After: an edit that leaves the document the same (whitespace, comments, key order, a cluster or target tab visited again) is answered from the engine thread's memory, its warnings placed in the current text by their field path; an edit that changes the document compiles as before, so typing inside a rule costs what it did. The machine was shared with other helpers' builds and tests (see the load average): the figures are upper bounds.",
      ],
    );
}

await main();
