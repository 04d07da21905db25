import "server-only";
// REST for flow ingestion (issue 17): a cluster pushes Hubble flow records as
// JSON lines (`hubble observe -o json`), optionally gzip-compressed. Thin: read
// the bounded body, name the cluster, call the service, shape.
import { isAscii } from "node:buffer";
import { gunzipSync } from "node:zlib";
import type { Hono } from "hono";
import { eq } from "drizzle-orm";
import { clusters } from "@/db/schema";
import { InvalidInput, TooLarge } from "@/server/errors";
import type { IngestAlertTrigger } from "@/server/alerts/on-ingest";
import { ingestFlows } from "@/server/flows/ingest";
import type { ApiEnv } from "./app";
import type { FlowRateLimiter } from "./flow-rate";
import { serviceContext } from "./change-requests";

/** Largest batch once decompressed (the compressed body is bounded by MAX_REQUEST_BYTES like every request). */
export const MAX_FLOW_BATCH_BYTES = 32 * 1024 * 1024;

function decompress(raw: Uint8Array, encoding: string | undefined): Uint8Array {
  const enc = (encoding ?? "identity").trim().toLowerCase();
  if (enc === "identity" || enc === "") {
    if (raw.byteLength > MAX_FLOW_BATCH_BYTES) throw new TooLarge(`The batch is over ${MAX_FLOW_BATCH_BYTES / 1024 / 1024} MiB.`);
    return raw;
  }
  if (enc !== "gzip")
    throw new InvalidInput(`Content-Encoding ${enc} is not supported: send the lines plain or gzip-compressed.`, "content-encoding");
  try {
    return gunzipSync(raw, { maxOutputLength: MAX_FLOW_BATCH_BYTES });
  } catch (e) {
    if ((e as { code?: string }).code === "ERR_BUFFER_TOO_LARGE" || e instanceof RangeError)
      throw new TooLarge(`The batch is over ${MAX_FLOW_BATCH_BYTES / 1024 / 1024} MiB once decompressed: send smaller batches.`);
    throw new InvalidInput(`The body is not valid gzip: ${(e as Error).message}`, "body");
  }
}

/**
 * The batch's text. Hubble's JSON is ASCII (it escapes the rest): read as such, a check and a copy,
 * several times cheaper than UTF-8 decoding, which other bytes still get (U+FFFD for invalid ones,
 * a byte order mark dropped, as TextDecoder does).
 */
function textOf(bytes: Uint8Array): string {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return isAscii(buffer) ? buffer.toString("latin1") : new TextDecoder().decode(buffer);
}

/** `alerts`: told of each committed batch, to evaluate the alert rules it can affect (null: only the timer evaluates them). */
export function flowRoutes(app: Hono<ApiEnv>, limiter: FlowRateLimiter, alerts: IngestAlertTrigger | null) {
  app.post("/flows", async (c) => {
    const ctx = serviceContext(c);
    const actor = ctx.actor;
    let cluster = c.req.query("cluster");
    if (!cluster && actor.type === "token" && actor.clusterId) {
      const [bound] = await ctx.db.select({ name: clusters.name }).from(clusters).where(eq(clusters.id, actor.clusterId));
      cluster = bound?.name;
    }
    if (!cluster) throw new InvalidInput("Name the cluster the flows come from: ?cluster=<name> (or use a token bound to one).", "cluster");
    // Before the body is read: a refused batch costs next to nothing. One bucket per cluster and
    // sender, so a token's flood (even one refused 403 later) never uses up another sender's batches.
    limiter.take(`${cluster} ${actor.type}:${actor.id ?? ""}`, cluster);
    const body = textOf(decompress(new Uint8Array(await c.req.arrayBuffer()), c.req.header("content-encoding")));
    const { touched, ...result } = await ingestFlows({ ctx, input: { cluster, body } });
    // Committed: the rules the batch can affect are evaluated shortly (debounced), not by this request.
    alerts?.noteBatch(touched);
    return c.json(result, 200);
  });
}
