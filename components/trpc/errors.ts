import { TRPCClientError } from "@trpc/client";
import type { AppRouter } from "@/server/trpc/root";

/** The message and per-field errors of a failed tRPC call, for showing next to a form. */
export function describeError(error: unknown): { message: string; fields: Record<string, string[] | undefined> } {
  if (error instanceof TRPCClientError) {
    const data = (error as TRPCClientError<AppRouter>).data as { fieldErrors?: Record<string, string[]> | null } | undefined;
    const fields = data?.fieldErrors ?? {};
    const message = Object.keys(fields).length > 0 ? "Please correct the highlighted fields." : error.message;
    return { message, fields };
  }
  return { message: error instanceof Error ? error.message : String(error), fields: {} };
}
