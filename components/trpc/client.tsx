"use client";

import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { TRPCClientError, createTRPCClient, httpBatchLink, httpLink, splitLink } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import { useState, type ReactNode } from "react";
import superjson from "superjson";
import { MAX_BATCH_SIZE } from "@/lib/http-limits";
import type { AppRouter } from "@/server/trpc/root";

export const { TRPCProvider, useTRPC } = createTRPCContext<AppRouter>();

/** Procedures that run the engine over whole clusters (lint, compile, graphs): each is sent alone. */
const ENGINE_PROCEDURES = new Set([
  "changes.impact",
  "changes.compiledDiff",
  "policies.analyse",
  "policies.templatePreview",
  "graph.view",
  "graph.group",
  "graph.whatIf",
]);

const FINAL_CODES = new Set(["UNAUTHORIZED", "FORBIDDEN", "NOT_FOUND", "BAD_REQUEST", "CONFLICT", "PAYLOAD_TOO_LARGE"]);

function codeOf(error: unknown): string | undefined {
  return error instanceof TRPCClientError ? (error.data as { code?: string } | undefined)?.code : undefined;
}

export function TrpcReactProvider({ children }: { children: ReactNode }) {
  const [queryClient] = useState(() => {
    const signInAgain = (error: unknown) => {
      // A session that expired while the page was open: back to sign-in, not a dead page.
      if (codeOf(error) === "UNAUTHORIZED") window.location.assign("/sign-in");
    };
    return new QueryClient({
      queryCache: new QueryCache({ onError: signInAgain }),
      mutationCache: new MutationCache({ onError: signInAgain }),
      // Retry only what may succeed a moment later; a refusal or bad input will not.
      defaultOptions: { queries: { staleTime: 15_000, retry: (count, error) => count < 2 && !FINAL_CODES.has(codeOf(error) ?? "") } },
    });
  });
  // POST even for queries: the editor's analysis sends whole YAML documents, too long for a URL.
  // Engine work (seconds when cold) goes in its own request: batched, it would hold back every
  // quick answer of the page (a comment, a checklist) until the slowest one is done.
  const [trpcClient] = useState(() =>
    createTRPCClient<AppRouter>({
      links: [
        splitLink({
          condition: (op) => ENGINE_PROCEDURES.has(op.path),
          true: httpLink({ url: "/api/trpc", transformer: superjson, methodOverride: "POST" }),
          false: httpBatchLink({ url: "/api/trpc", transformer: superjson, methodOverride: "POST", maxItems: MAX_BATCH_SIZE }),
        }),
      ],
    }),
  );
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        {children}
      </TRPCProvider>
    </QueryClientProvider>
  );
}
