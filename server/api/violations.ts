import "server-only";
// REST for SIEM collectors (issue 17 item 8): violations, near-misses and
// enforcement gaps in pages with a resumable cursor (JSON lines or CEF), and
// live as Server-Sent Events. Thin: parse the query, call the export service.
import type { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import pkg from "@/package.json";
import { InvalidInput } from "@/server/errors";
import {
  EXPORT_FORMATS,
  exportViolations,
  formatCursor,
  formatPage,
  headCursor,
  parseCursor,
  type ExportFormat,
} from "@/server/flows/export";
import { requireScope } from "@/server/tokens/scopes";
import type { ApiEnv } from "./app";
import { serviceContext } from "./change-requests";

/** How often a live stream looks for new events, and sends a comment to keep proxies from closing it. */
export const STREAM_POLL_MS = 1_000;
const STREAM_HEARTBEAT_MS = 15_000;
/** Events read per poll (a stream far behind catches up page by page). */
const STREAM_PAGE = 500;

function formatOf(text: string | undefined): ExportFormat {
  const f = text ?? "jsonl";
  if (!(EXPORT_FORMATS as readonly string[]).includes(f))
    throw new InvalidInput(`format must be one of ${EXPORT_FORMATS.join(", ")}, not "${f.slice(0, 40)}".`, "format");
  return f as ExportFormat;
}

function limitOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,6}$/.test(text)) throw new InvalidInput(`limit must be a whole number, not "${text.slice(0, 40)}".`, "limit");
  return Number(text);
}

export function violationRoutes(app: Hono<ApiEnv>, options: { pollMs?: number } = {}) {
  app.get("/violations/export", async (c) => {
    const format = formatOf(c.req.query("format"));
    const page = await exportViolations({
      ctx: serviceContext(c),
      input: { cursor: c.req.query("cursor"), limit: limitOf(c.req.query("limit")) },
    });
    c.header("X-Next-Cursor", page.nextCursor);
    c.header("Content-Type", format === "cef" ? "text/plain; charset=utf-8" : "application/x-ndjson; charset=utf-8");
    return c.body(formatPage(page, format, pkg.version));
  });

  app.get("/violations/stream", async (c) => {
    const ctx = serviceContext(c);
    // Resume where the collector's EventSource left off, else at ?cursor=, else from now on.
    // Refused before the stream opens, so a missing scope or a bad cursor is a plain 4xx.
    requireScope(ctx.actor, "export");
    const lastEventId = c.req.header("last-event-id");
    const given = lastEventId ?? c.req.query("cursor");
    let cursor = given
      ? formatCursor(parseCursor(given, lastEventId !== undefined ? "last-event-id" : "cursor"))
      : await headCursor({ ctx });
    const pollMs = options.pollMs ?? STREAM_POLL_MS;
    return streamSSE(
      c,
      async (stream) => {
        let closed = false;
        stream.onAbort(() => {
          closed = true;
        });
        let quietSince = Date.now();
        await stream.writeSSE({ event: "ready", data: JSON.stringify({ cursor }) });
        while (!closed) {
          const page = await exportViolations({ ctx, input: { cursor, limit: STREAM_PAGE } });
          for (const e of page.events) await stream.writeSSE({ id: e.cursor, event: "violation", data: JSON.stringify(e) });
          cursor = page.nextCursor;
          if (page.events.length === STREAM_PAGE) continue;
          if (page.events.length > 0) quietSince = Date.now();
          else if (Date.now() - quietSince >= STREAM_HEARTBEAT_MS) {
            await stream.write(": keep-alive\n\n");
            quietSince = Date.now();
          }
          await stream.sleep(pollMs);
        }
      },
      async (error, stream) => {
        console.error("[api] violations stream failed", error);
        await stream.writeSSE({
          event: "error",
          data: JSON.stringify({ message: "The stream failed on the server; reconnect with Last-Event-ID." }),
        });
      },
    );
  });
}
