/** Output and input helpers of the CLI: buffered writes that wait for a full pipe, bounded line reading. */
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { once } from "node:events";
import { Readable } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import { createGunzip } from "node:zlib";

/** Buffered line output with backpressure: `line()` says when the caller should `await drain()`. */
export class Out {
  private buf = "";
  private blocked = false;
  constructor(private readonly stream: NodeJS.WritableStream = process.stdout) {}
  /** Queue one line; true when the buffer was handed to a stream that is full (then await drain()). */
  line(s: string): boolean {
    this.buf += `${s}\n`;
    if (this.buf.length > 1 << 16) this.flush();
    return this.blocked;
  }
  /**
   * Write bytes after the queued lines; true when the stream is full (then await drain()). `written`
   * is called once the stream is done with `b` (its memory may then be reused).
   */
  bytes(b: Uint8Array, written?: () => void): boolean {
    this.flush();
    if (b.length > 0 && !this.stream.write(b, written && (() => written()))) this.blocked = true;
    return this.blocked;
  }
  flush(): void {
    if (this.buf === "") return;
    if (!this.stream.write(this.buf)) this.blocked = true;
    this.buf = "";
  }
  async drain(): Promise<void> {
    if (!this.blocked) return;
    await once(this.stream, "drain");
    this.blocked = false;
  }
  async end(): Promise<void> {
    this.flush();
    await this.drain();
  }
}

export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ")).join("\n");
}

/**
 * The bytes of a file ("-" for stdin) in chunks of up to 1 MiB. A file's chunks are read into two
 * buffers in turn, the next chunk while the caller works on this one, so each chunk is valid only
 * until the next is asked for (the caller copies what it keeps): a fresh megabyte per chunk cost
 * page faults and collections under external memory pressure.
 */
export async function* byteChunks(file: string): AsyncGenerator<Buffer> {
  if (file === "-") {
    for await (const chunk of process.stdin) yield chunk as Buffer;
    return;
  }
  const handle = await open(file, "r");
  // Only a regular file is read ahead: a read of a pipe (`<(hubble observe -f)`) may wait for its
  // writer, and a caller that stops early would wait for it too.
  const ahead = (await handle.stat()).isFile();
  const buffers = [Buffer.allocUnsafe(1 << 20), Buffer.allocUnsafe(1 << 20)];
  let reading: ReturnType<typeof handle.read<Buffer>> | undefined = ahead ? handle.read(buffers[0]!, 0, 1 << 20, null) : undefined;
  try {
    for (let i = 0; ; i++) {
      const { bytesRead, buffer } = await (reading ?? handle.read(buffers[i & 1]!, 0, 1 << 20, null));
      if (bytesRead === 0) return;
      if (ahead) reading = handle.read(buffers[(i + 1) & 1]!, 0, 1 << 20, null);
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    // A caller that stops early leaves a read ahead in flight: it ends before the file is closed.
    await reading?.catch(() => undefined);
    await handle.close();
  }
}

/** A line longer than the bound: its text was not kept. */
export interface OverlongLine {
  overlong: true;
}

/** The text of a file ("-" for stdin) in chunks, gunzipped when it starts with gzip's magic bytes. */
export async function* textChunks(file: string): AsyncGenerator<string> {
  const raw: AsyncIterable<Buffer> = file === "-" ? process.stdin : createReadStream(file, { highWaterMark: 1 << 20 });
  const chunks = raw[Symbol.asyncIterator]();
  const first = await chunks.next();
  if (first.done) return;
  async function* bytes(): AsyncGenerator<Buffer> {
    yield first.value;
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) yield next.value;
  }
  const gzipped = first.value[0] === 0x1f && first.value[1] === 0x8b;
  const source: AsyncIterable<Buffer> = gzipped ? Readable.from(bytes()).pipe(createGunzip()) : bytes();
  const decoder = new StringDecoder("utf8");
  for await (const chunk of source) yield decoder.write(chunk);
  const tail = decoder.end();
  if (tail !== "") yield tail;
}

/**
 * Lines of a file ("-" for stdin; gzip is detected) in batches, one entry per line in order
 * (CRLF or LF; no entry after a final newline). A line longer than `maxChars`
 * is an OverlongLine and is skipped to its end without being held in memory.
 */
export async function* lineBatches(file: string, maxChars: number): AsyncGenerator<(string | OverlongLine)[]> {
  let partial = "";
  let skipping = false;
  const finish = (line: string): string => (line.endsWith("\r") ? line.slice(0, -1) : line);
  for await (const chunk of textChunks(file)) {
    const batch: (string | OverlongLine)[] = [];
    let start = 0;
    for (let nl = chunk.indexOf("\n"); nl !== -1; nl = chunk.indexOf("\n", start)) {
      if (skipping) {
        batch.push({ overlong: true });
        skipping = false;
      } else {
        const line = partial + chunk.slice(start, nl);
        batch.push(line.length > maxChars + 1 ? { overlong: true } : finish(line));
      }
      partial = "";
      start = nl + 1;
    }
    if (!skipping) {
      partial += chunk.slice(start);
      if (partial.length > maxChars + 1) {
        partial = "";
        skipping = true;
      }
    }
    if (batch.length > 0) yield batch;
  }
  if (skipping) yield [{ overlong: true }];
  else if (partial !== "") yield [finish(partial)];
}
