/**
 * `policyplane ingest`: pushes Hubble flow records (JSON lines, e.g. from `hubble observe -o json
 * --follow`) to a Policyplane server's `POST /api/v1/flows`, gzip-compressed, in batches: a batch
 * leaves when it is full or, on a slow stream, after --flush-ms without a full one. Rejected lines
 * are reported with their line number in the whole input. A batch the server refuses for load
 * (429, 503) is retried after its Retry-After; any other refusal stops the command (exit 1), saying
 * how many lines were accepted before it.
 */
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { gzipSync } from "node:zlib";
import { apiUrl, refusalMessage } from "../usage";

export interface IngestOptions {
  server: string;
  token: string;
  cluster?: string;
  flows: string;
  batchLines: number;
  flushMs: number;
}

interface BatchReply {
  accepted: number;
  rejected: number;
  errors: { line: number; reason: string }[];
  classes: Record<string, number>;
}

const MAX_BATCH_CHARS = 8 * 1024 * 1024;
const MAX_RETRIES = 5;

export function ingestUrl(server: string, cluster: string | undefined): string {
  const url = apiUrl(server, "flows");
  if (cluster) url.searchParams.set("cluster", cluster);
  return url.toString();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function send(url: string, token: string, lines: string[]): Promise<BatchReply> {
  const body = gzipSync(`${lines.join("\n")}\n`);
  for (let attempt = 0; ; attempt++) {
    const response = await fetch(url, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/x-ndjson", "content-encoding": "gzip" },
      body,
    });
    if ((response.status === 429 || response.status === 503) && attempt < MAX_RETRIES) {
      const after = Number(response.headers.get("retry-after"));
      await sleep(Number.isFinite(after) && after > 0 ? Math.min(after, 60) * 1000 : 1000 * 2 ** attempt);
      continue;
    }
    const text = await response.text();
    if (!response.ok) throw new Error(`the server refused the batch (HTTP ${response.status}): ${refusalMessage(text)}`);
    return JSON.parse(text) as BatchReply;
  }
}

export async function runIngest(opts: IngestOptions): Promise<number> {
  const url = ingestUrl(opts.server, opts.cluster);
  const input = opts.flows === "-" ? process.stdin : createReadStream(opts.flows);
  const totals = { lines: 0, accepted: 0, rejected: 0, batches: 0, classes: {} as Record<string, number> };
  let batch: string[] = [];
  let batchChars = 0;
  let firstLine = 1;
  let failure: Error | null = null;
  let sending: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;

  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (batch.length === 0) return;
    const lines = batch;
    const offset = firstLine - 1;
    firstLine += lines.length;
    batch = [];
    batchChars = 0;
    // One batch at a time, in input order.
    sending = sending.then(async () => {
      if (failure) return;
      try {
        const reply = await send(url, opts.token, lines);
        totals.batches++;
        totals.lines += lines.length;
        totals.accepted += reply.accepted;
        totals.rejected += reply.rejected;
        for (const [c, n] of Object.entries(reply.classes)) totals.classes[c] = (totals.classes[c] ?? 0) + n;
        for (const e of reply.errors) process.stderr.write(`line ${e.line + offset}: ${e.reason}\n`);
        if (reply.rejected > reply.errors.length)
          process.stderr.write(
            `… and ${reply.rejected - reply.errors.length} more rejected line(s) in lines ${offset + 1}-${offset + lines.length}\n`,
          );
      } catch (e) {
        failure = e as Error;
      }
    });
  };

  const reader = createInterface({ input, crlfDelay: Infinity });
  for await (const line of reader) {
    if (failure) break;
    batch.push(line);
    batchChars += line.length + 1;
    if (batch.length >= opts.batchLines || batchChars >= MAX_BATCH_CHARS) flush();
    else if (!timer) timer = setTimeout(flush, opts.flushMs);
  }
  flush();
  await sending;
  process.stdout.write(`${JSON.stringify(totals)}\n`);
  if (failure) {
    process.stderr.write(`error: ${(failure as Error).message} (${totals.accepted} line(s) accepted before it)\n`);
    return 1;
  }
  return totals.rejected > 0 ? 1 : 0;
}
