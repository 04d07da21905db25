// Test helper: what a tRPC call answered, as its error code ("OK" when it succeeded).
import { TRPCError } from "@trpc/server";

export async function trpcCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TRPCError) return error.code;
    throw error;
  }
  return "OK";
}

/** The error a tRPC call failed with; the test fails when the call succeeded. */
export async function trpcFailure(promise: Promise<unknown>): Promise<TRPCError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TRPCError) return error;
    throw error;
  }
  throw new Error("expected the call to fail");
}
