import { TRPCError } from "@trpc/server";
import { describe, expect, it } from "vitest";
import { boundedRequest } from "./request-body";

const LIMITS = { bytes: 1000, depth: 4 };

function post(body: string, headers: Record<string, string> = {}) {
  // A stream body, as a browser's upload arrives: no trusted length.
  const stream = new ReadableStream({
    start(c) {
      for (let i = 0; i < body.length; i += 100) c.enqueue(new TextEncoder().encode(body.slice(i, i + 100)));
      c.close();
    },
  });
  return new Request("http://x/api/trpc/a", { method: "POST", headers, body: stream, duplex: "half" } as RequestInit);
}

async function refusal(request: Request): Promise<TRPCError> {
  const error = await boundedRequest(request, LIMITS)
    .text()
    .then(
      () => null,
      (e: unknown) => e,
    );
  expect(error).toBeInstanceOf(TRPCError);
  return error as TRPCError;
}

describe("the tRPC request body bound", () => {
  it("passes a body within the limits through unchanged", async () => {
    const body = JSON.stringify({ 0: { json: { yaml: "[[[[[[[[ in a string ]]", list: [1] } } });
    expect(await boundedRequest(post(body), LIMITS).text()).toBe(body);
  });

  it("fails a body over the size limit with PAYLOAD_TOO_LARGE, whether or not it declares its length", async () => {
    expect((await refusal(post("x".repeat(1001)))).code).toBe("PAYLOAD_TOO_LARGE");
    expect((await refusal(post("x", { "content-length": "1001" }))).code).toBe("PAYLOAD_TOO_LARGE");
  });

  it("fails JSON nested deeper than the limit with BAD_REQUEST, counting brackets outside strings only", async () => {
    const error = await refusal(post(`{"a":[[[[1]]]]}`));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toMatch(/more than 4 levels/);
    expect(await boundedRequest(post(`{"a":[[["\\"[[[["]]]}`), LIMITS).text()).toBe(`{"a":[[["\\"[[[["]]]}`);
  });
});
