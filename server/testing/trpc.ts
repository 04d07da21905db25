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
