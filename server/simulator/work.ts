// The Simulator's heavy work on a stored dataset, pure (no database, no Next.js): scanning an upload
// for its metadata, and a run (the release and a proposal deciding every record, tallied per path).
// It runs in a worker thread (run-worker.ts); tests call it directly. Reading and deciding are the
// CLI's (server/replay): only the progress reporting, the time window and the document lowering
// (the console's documents, as the graph lowers them) are this module's.
import { RECORD_LINE_MAX_CHARS } from "../../lib/simulator";
import { formatSize } from "../policy/read/bounded";
import { lowerDocuments } from "../policy/documents/lower";
import type { PolicyplaneDocument } from "../policy/documents/schema";
import type { ClusterModel, PlatformDefault } from "../policy/model";
import { lineBatches, type OverlongLine } from "../cli/io";
import { HeaderError, readRecordTable, type RecordFormat } from "../replay/read";
import { ReplayTally, replayByCluster, type RecordTable, type ReplaySide, type ReplaySummary } from "../replay/replay";

/** Bad lines kept on a dataset (all are counted). */
export const BAD_LINES_KEPT = 50;

export interface Progress {
  phase: "reading" | "deciding";
  /** 0..1 over the whole task. */
  fraction: number;
}

export interface ScanInput {
  file: string;
  format: RecordFormat;
}

export interface ScanResult {
  ok: true;
  textChars: number;
  records: number;
  flows: number;
  badLineCount: number;
  badLines: { line: number; reason: string }[];
  timeFrom: number | null;
  timeTo: number | null;
}

export interface WorkFailure {
  ok: false;
  error: string;
}

export interface VersionedDocument {
  document: PolicyplaneDocument;
  version: number | string;
}

export interface RunInput {
  file: string;
  format: RecordFormat;
  /** Characters of text in the file (from its scan), to measure reading progress against. */
  textChars: number;
  /** The clusters' inventories: a record naming its cluster is resolved through that one's. */
  clusters: RunCluster[];
  /** The cluster of the records that name none (the one chosen for the run). */
  defaultCluster: string;
  release: VersionedDocument[];
  proposal: VersionedDocument[];
  platformDefault: PlatformDefault;
  /** Epoch ms; records outside are not decided. Records without a time are decided at `to` (or now). */
  window: { from?: number; to?: number };
}

export interface RunCluster {
  name: string;
  region?: string;
  model: ClusterModel;
}

export interface RunResult {
  ok: true;
  outsideWindow: number;
  summary: ReplaySummary;
}

const OVERLONG = `longer than ${formatSize(RECORD_LINE_MAX_CHARS)}; not read`;

/** The file's lines, counting the characters read (for progress) as they go by. */
async function* countedLines(file: string, onChars: (chars: number) => void): AsyncGenerator<(string | OverlongLine)[]> {
  let chars = 0;
  for await (const batch of lineBatches(file, RECORD_LINE_MAX_CHARS)) {
    for (const l of batch) chars += (typeof l === "string" ? l.length : RECORD_LINE_MAX_CHARS) + 1;
    onChars(chars);
    yield batch;
  }
}

async function readTable(file: string, format: RecordFormat, onChars: (chars: number) => void): Promise<RecordTable | WorkFailure> {
  try {
    // Reading stays on this (worker) thread: the console's worker is already off the request thread.
    return await readRecordTable(countedLines(file, onChars), { format, overlongReason: OVERLONG, workers: 0 });
  } catch (e) {
    if (e instanceof HeaderError) return { ok: false, error: e.message };
    return { ok: false, error: `cannot read the dataset: ${(e as Error).message}` };
  }
}

/** Reads a dataset once for what the list shows: records, flows, bad lines (the first ones kept) and the time range. */
export async function scanDataset(input: ScanInput): Promise<ScanResult | WorkFailure> {
  let textChars = 0;
  const table = await readTable(input.file, input.format, (c) => (textChars = c));
  if (!("length" in table)) return table;
  let flows = 0;
  let from = Number.POSITIVE_INFINITY;
  let to = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < table.length; i++) {
    if (table.errors.has(i)) continue;
    flows += table.count[i]!;
    const t = table.time[i]!;
    if (!Number.isNaN(t)) {
      if (t < from) from = t;
      if (t > to) to = t;
    }
  }
  const badLines = [...table.errors]
    .sort((a, b) => a[0] - b[0])
    .slice(0, BAD_LINES_KEPT)
    .map(([i, reason]) => ({ line: i + table.firstLine, reason }));
  return {
    ok: true,
    textChars,
    records: table.length - table.errors.size,
    flows,
    badLineCount: table.errors.size,
    badLines,
    timeFrom: Number.isFinite(from) ? from : null,
    timeTo: Number.isFinite(to) ? to : null,
  };
}

function side(input: RunInput, cluster: RunCluster, docs: readonly VersionedDocument[]): ReplaySide {
  const located = docs.map((d) => ({
    document: d.document,
    version: String(d.version),
    file: `${d.document.kind}/${d.document.metadata.name}`,
  }));
  return {
    inventory: cluster.model,
    // Lowered for this cluster, against its inventory with the observed pods in it, as the graph lowers them.
    policies: (model) => lowerDocuments(located, { ...cluster, model }, {}).policies,
    secureByDefault: input.platformDefault,
  };
}

/** Reading is most of a run's time; deciding the rest. */
const READ_SHARE = 0.7;

/** Replays a dataset against the release and a proposal, reporting progress now and then. */
export async function runReplay(input: RunInput, onProgress: (p: Progress) => void): Promise<RunResult | WorkFailure> {
  let lastReport = 0;
  const report = (p: Progress) => {
    const now = Date.now();
    if (now - lastReport < 250) return;
    lastReport = now;
    onProgress(p);
  };
  const total = Math.max(1, input.textChars);
  const table = await readTable(input.file, input.format, (c) =>
    report({ phase: "reading", fraction: READ_SHARE * Math.min(1, c / total) }),
  );
  if (!("length" in table)) return table;
  const tally = new ReplayTally();
  const { from, to } = input.window;
  let outsideWindow = 0;
  let done = 0;
  const options = { time: to ?? Date.now() };
  const clusters = new Map(
    input.clusters.map((c) => [c.name, { baseline: side(input, c, input.release), proposal: side(input, c, input.proposal) }]),
  );
  for (const o of replayByCluster(table, clusters, input.defaultCluster, options)) {
    if ((++done & 0xfff) === 0) report({ phase: "deciding", fraction: READ_SHARE + (1 - READ_SHARE) * (done / table.length) });
    if (!("error" in o) && ((from !== undefined && o.time < from) || (to !== undefined && o.time > to))) {
      outsideWindow++;
      continue;
    }
    tally.add(o);
  }
  return { ok: true, outsideWindow, summary: tally.summary() };
}
