/**
 * `replay`: recorded traffic decided by a baseline and by a proposal (both read as `simulate
 * --manifests` reads its paths), the difference per record or per path. A thin adapter over
 * server/replay.
 */
import { stringify } from "csv-stringify/sync";
import { platformPolicies } from "../../policy/documents/mixed";
import { HeaderError, readRecordTable } from "../../replay/read";
import type { RecordTable } from "../../replay/replay";
import { CHANGES, ReplayTally, decisionPath, replayRecords, type Change, type ReplaySide, type ReplaySummary } from "../../replay/replay";
import { formatSize } from "../../policy/read/bounded";
import { formatPortProtocol } from "../../policy/util/text";
import { Out, lineBatches, table } from "../io";
import { UsageError } from "../usage";
import { readMixedPaths } from "./engine";

/** A record line is one flow; Hubble's L7 records with headers stay far below this. */
const RECORD_LINE_MAX_CHARS = 1 << 20;

export type FailOn = "newly-denied" | "newly-allowed" | "any-change";

export interface ReplayCliOptions {
  flows: string;
  baseline?: string[];
  proposal?: string[];
  format: "auto" | "csv";
  output: "summary" | "jsonl" | "csv";
  failOn?: FailOn;
  secureByDefault: boolean;
  time?: string;
  top: string;
}

function side(paths: string[] | undefined, option: string, secureByDefault: boolean): ReplaySide | null {
  const read = readMixedPaths(paths, option);
  if (!read) return null;
  return {
    inventory: read.manifests.cluster,
    // Documents are lowered against the inventory with the observed pods in it.
    policies: (model) => platformPolicies({ ...read, manifests: { ...read.manifests, cluster: model } }).policies,
    secureByDefault,
  };
}

/** Read every record into a table (one slot per line; a CSV header is line 1 and no record). */
async function readRecords(opts: ReplayCliOptions): Promise<RecordTable> {
  try {
    return await readRecordTable(lineBatches(opts.flows, RECORD_LINE_MAX_CHARS), {
      format: opts.format,
      overlongReason: `longer than ${formatSize(RECORD_LINE_MAX_CHARS)}; not read`,
    });
  } catch (e) {
    if (e instanceof HeaderError) throw new UsageError(`--flows ${opts.flows}: ${e.message}`);
    throw new UsageError(`cannot read --flows ${opts.flows}: ${(e as Error).message}`);
  }
}

function failOnHolds(summary: ReplaySummary, failOn: FailOn | undefined): boolean {
  const changed = (c: Change) => summary.changes[c].flows > 0;
  if (failOn === "newly-denied") return changed("newly-denied");
  if (failOn === "newly-allowed") return changed("newly-allowed");
  if (failOn === "any-change") return changed("newly-denied") || changed("newly-allowed");
  return false;
}

const CHANGE_TITLES: Record<Change, string> = {
  "newly-denied": "allow → deny (newly denied)",
  "newly-allowed": "deny → allow (newly allowed)",
  "unchanged-allow": "unchanged allow",
  "unchanged-deny": "unchanged deny",
};

function summaryText(s: ReplaySummary, top: number): string {
  const lines = [`${s.records} record(s), ${s.flows} flow(s), ${s.unreadable} unreadable`, ""];
  lines.push(
    table([["", "FLOWS", "PATHS"], ...CHANGES.map((c) => [CHANGE_TITLES[c], String(s.changes[c].flows), String(s.changes[c].paths)])]),
  );
  const changed = s.paths.filter((p) => p.change === "newly-denied" || p.change === "newly-allowed").slice(0, top);
  lines.push("", changed.length === 0 ? "no path changes its verdict" : `top changed paths (${changed.length} shown):`);
  for (const p of changed) {
    lines.push(
      `  ${p.baseline} → ${p.proposal}  ${p.src} → ${p.dst} ${formatPortProtocol(p.port, p.protocol)}  ${p.flows} flow(s), ${p.firstSeen} … ${p.lastSeen}, e.g. line ${p.sampleLines.join(", ")}`,
      `      baseline: ${p.baselinePath}`,
      `      proposal: ${p.proposalPath}`,
    );
  }
  return lines.join("\n");
}

const CSV_COLUMNS = ["line", "src", "dst", "port", "protocol", "time", "baseline", "proposal", "change", "error"];

export async function runReplay(opts: ReplayCliOptions): Promise<number> {
  const top = Number(opts.top);
  if (!Number.isInteger(top) || top < 0) throw new UsageError(`--top: expected a whole number, got ${opts.top}`);
  const baseline = side(opts.baseline, "--baseline", opts.secureByDefault);
  const proposal = baseline && side(opts.proposal, "--proposal", opts.secureByDefault);
  if (!baseline || !proposal) return 1;
  const records = await readRecords(opts);
  const tally = new ReplayTally();
  const out = new Out();
  if (opts.output === "csv") out.line(stringify([CSV_COLUMNS]).trimEnd());
  for (const o of replayRecords(records, baseline, proposal, opts.time ? { time: Date.parse(opts.time) } : {})) {
    tally.add(o);
    if (opts.output === "summary") continue;
    let text: string;
    if ("error" in o)
      text =
        opts.output === "jsonl"
          ? JSON.stringify({ line: o.line, error: o.error })
          : stringify([[o.line, "", "", "", "", "", "", "", "", o.error]]).trimEnd();
    else if (opts.output === "jsonl")
      text = JSON.stringify({
        line: o.line,
        src: o.src,
        dst: o.dst,
        port: o.port,
        protocol: o.protocol,
        time: new Date(o.time).toISOString(),
        ...(o.reply ? { reply: true } : {}),
        ...(o.count !== 1 ? { count: o.count } : {}),
        baseline: o.baseline.verdict,
        proposal: o.proposal.verdict,
        change: o.change,
        baselinePath: decisionPath(o.baseline),
        proposalPath: decisionPath(o.proposal),
      });
    else
      text = stringify([
        [o.line, o.src, o.dst, o.port, o.protocol, new Date(o.time).toISOString(), o.baseline.verdict, o.proposal.verdict, o.change, ""],
      ]).trimEnd();
    if (out.line(text)) await out.drain();
  }
  const summary = tally.summary();
  if (opts.output === "summary") out.line(summaryText(summary, top));
  else if (summary.unreadable > 0)
    process.stderr.write(`${summary.unreadable} of ${summary.records} record(s) could not be read (see their lines)\n`);
  await out.end();
  return failOnHolds(summary, opts.failOn) ? 3 : 0;
}
