import "server-only";
// The tRPC request body, bounded before anything parses it: at most
// MAX_REQUEST_BYTES (413) and JSON nested at most MAX_JSON_DEPTH levels (400),
// counted as the bytes stream in. The errors are tRPC's own, so the client
// gets them in the usual error shape.
import { TRPCError } from "@trpc/server";
import { MAX_JSON_DEPTH, MAX_REQUEST_BYTES } from "@/lib/http-limits";

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPENERS = new Set([0x5b, 0x7b]);
const CLOSERS = new Set([0x5d, 0x7d]);

/** A copy of `request` whose body stream fails once it is too large or too deeply nested. */
export function boundedRequest(request: Request, limits = { bytes: MAX_REQUEST_BYTES, depth: MAX_JSON_DEPTH }): Request {
  if (!request.body) return request;
  const declared = Number(request.headers.get("content-length") ?? "0");
  const tooLarge = () =>
    new TRPCError({ code: "PAYLOAD_TOO_LARGE", message: `The request body is over the ${limits.bytes / 1024 / 1024} MiB limit.` });
  if (declared > limits.bytes) {
    return new Request(request.url, {
      method: request.method,
      headers: request.headers,
      body: new ReadableStream({ start: (c) => c.error(tooLarge()) }),
      duplex: "half",
    } as RequestInit);
  }
  let size = 0;
  let depth = 0;
  let inString = false;
  let escaped = false;
  const scan = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      size += chunk.byteLength;
      if (size > limits.bytes) return controller.error(tooLarge());
      // Bytes below 0x80 never occur inside a multi-byte UTF-8 character, so brackets and quotes can be read from bytes.
      for (const byte of chunk) {
        if (inString) {
          if (escaped) escaped = false;
          else if (byte === BACKSLASH) escaped = true;
          else if (byte === QUOTE) inString = false;
        } else if (byte === QUOTE) inString = true;
        else if (OPENERS.has(byte)) {
          if (++depth > limits.depth) {
            return controller.error(
              new TRPCError({
                code: "BAD_REQUEST",
                message: `The request body nests more than ${limits.depth} levels of arrays and objects.`,
              }),
            );
          }
        } else if (CLOSERS.has(byte)) depth--;
      }
      controller.enqueue(chunk);
    },
  });
  return new Request(request.url, {
    method: request.method,
    headers: request.headers,
    body: request.body.pipeThrough(scan),
    signal: request.signal,
    duplex: "half",
  } as RequestInit);
}
