/**
 * `policyplane ingest`: pushes Hubble flow records (JSON lines, e.g. from `hubble observe -o json
 * --follow`) to a Policyplane server's `POST /api/v1/flows`, gzip-compressed, in batches: a batch
 * leaves when it is full or, on a slow stream, after --flush-ms without a full one; up to
 * --in-flight batches are unanswered at once (over the same keep-alive connections). Rejected lines
 * are reported with their line number in the whole input. A batch the server refuses for load
 * (429, 503) is retried after its Retry-After; any other refusal stops the command (exit 1), saying
 * how many lines were accepted before it.
 */
import { createReadStream } from "node:fs";
import { promisify } from "node:util";
import { gzip } from "node:zlib";
import { apiUrl, refusalMessage } from "../usage";

export interface IngestOptions {
  server: string;
  token: string;
  cluster?: string;
  flows: string;
  batchLines: number;
  flushMs: number;
  /** Batches sent and not yet answered at most (default IN_FLIGHT). */
  inFlight?: number;
}

interface BatchReply {
  accepted: number;
  rejected: number;
  errors: { line: number; reason: string }[];
  classes: Record<string, number>;
}

const MAX_BATCH_BYTES = 8 * 1024 * 1024;
const MAX_RETRIES = 5;
/**
 * Batches in flight by default: the server parses and attributes one while the database writes
 * another, and this process reads and compresses the next meanwhile (each its own transaction).
 */
export const IN_FLIGHT = 4;
const NEWLINE = 0x0a;
const gzipAsync = promisify(gzip);

export function ingestUrl(server: string, cluster: string | undefined): string {
  const url = apiUrl(server, "flows");
  if (cluster) url.searchParams.set("cluster", cluster);
  return url.toString();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function send(url: string, token: string, lines: Buffer): Promise<BatchReply> {
  // In zlib's thread pool, beside the reading of the next batch. The default level, not the fastest:
  // the server inflates level 1's output about three times slower (more, shorter matches), and the
  // server is where a batch's cost counts.
  const body = await gzipAsync(lines);
  for (let attempt = 0; ; attempt++) {
    const response = await fetch(url, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/x-ndjson", "content-encoding": "gzip" },
      body,
    });
    if ((response.status === 429 || response.status === 503) && attempt < MAX_RETRIES) {
      await response.body?.cancel();
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
  const inFlight = Math.max(1, opts.inFlight ?? IN_FLIGHT);
  const totals = { lines: 0, accepted: 0, rejected: 0, batches: 0, classes: {} as Record<string, number> };
  /** Lines accepted in batches after the first refused one (already in flight when it was refused). */
  let acceptedAfterFailure = 0;
  let failure: Error | null = null;
  // The input is never split into strings: batches are cut from the bytes at newlines (a line is
  // whatever a newline ends; the server strips a CR before it and numbers blank lines too).
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  /** Complete lines in `pending`, and the bytes up to the end of the last of them. */
  let completeLines = 0;
  let completeBytes = 0;
  let firstLine = 1;
  /** Replies in input order: totals and rejected lines are reported in that order. */
  let reported: Promise<void> = Promise.resolve();
  const sending = new Set<Promise<unknown>>();
  let timer: NodeJS.Timeout | undefined;

  const report = (reply: BatchReply, offset: number, lines: number) => {
    if (failure) {
      acceptedAfterFailure += reply.accepted;
      return;
    }
    totals.batches++;
    totals.lines += lines;
    totals.accepted += reply.accepted;
    totals.rejected += reply.rejected;
    for (const [c, n] of Object.entries(reply.classes)) totals.classes[c] = (totals.classes[c] ?? 0) + n;
    for (const e of reply.errors) process.stderr.write(`line ${e.line + offset}: ${e.reason}\n`);
    if (reply.rejected > reply.errors.length)
      process.stderr.write(
        `… and ${reply.rejected - reply.errors.length} more rejected line(s) in lines ${offset + 1}-${offset + lines}\n`,
      );
  };

  /** Sends `lines` lines, the first `bytes` bytes of what is pending (all of it when `bytes` covers it). */
  const flush = (lines: number, bytes: number) => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (lines === 0 || failure) return;
    const all = Buffer.concat(pending, pendingBytes);
    const batch = all.subarray(0, bytes);
    pending = bytes < all.length ? [all.subarray(bytes)] : [];
    pendingBytes = all.length - bytes;
    completeLines -= lines;
    completeBytes -= bytes;
    const offset = firstLine - 1;
    firstLine += lines;
    const reply = send(url, opts.token, batch);
    reply.catch(() => {}); // handled in input order below
    const done = (reported = reported.then(async () => {
      try {
        report(await reply, offset, lines);
      } catch (e) {
        failure ??= e as Error;
      }
    }));
    sending.add(done);
    void done.then(() => sending.delete(done));
  };
  const flushComplete = () => flush(completeLines, completeBytes);

  for await (const chunk of input as AsyncIterable<Buffer>) {
    if (failure) break;
    let from = 0;
    for (let nl = chunk.indexOf(NEWLINE); nl >= 0; nl = chunk.indexOf(NEWLINE, nl + 1)) {
      completeLines++;
      completeBytes = pendingBytes + (nl + 1 - from);
      if (completeLines >= opts.batchLines || completeBytes >= MAX_BATCH_BYTES) {
        pending.push(chunk.subarray(from, nl + 1));
        pendingBytes += nl + 1 - from;
        from = nl + 1;
        flushComplete();
        // Backpressure: reading waits while as many batches as allowed are unanswered.
        while (sending.size >= inFlight) await Promise.race(sending);
        if (failure) break;
      }
    }
    if (failure) break;
    if (from < chunk.length) {
      pending.push(chunk.subarray(from));
      pendingBytes += chunk.length - from;
    }
    // A slow stream (hubble observe --follow): the complete lines leave after --flush-ms.
    if (completeLines > 0 && !timer) timer = setTimeout(flushComplete, opts.flushMs);
  }
  if (timer) clearTimeout(timer);
  // At the end, a last line without its newline is a line too.
  if (!failure && pendingBytes > completeBytes) {
    completeLines++;
    completeBytes = pendingBytes;
  }
  flushComplete();
  while (sending.size > 0) await Promise.race(sending);
  await reported;
  process.stdout.write(`${JSON.stringify(totals)}\n`);
  if (failure) {
    const after = acceptedAfterFailure > 0 ? `, ${acceptedAfterFailure} more in batches already sent after it` : "";
    process.stderr.write(`error: ${(failure as Error).message} (${totals.accepted} line(s) accepted before it${after})\n`);
    return 1;
  }
  return totals.rejected > 0 ? 1 : 0;
}
