import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { MAX_BATCH_SIZE } from "@/lib/http-limits";
import { countedHandler } from "@/server/metrics/metrics";
import { appRouter } from "@/server/trpc/root";
import { createRequestContext } from "@/server/trpc/init";
import { boundedRequest } from "@/server/trpc/request-body";

// Counted and timed as one route: a batch names several procedures in its path.
const handler = countedHandler("console", "/api/trpc", (request: Request) =>
  fetchRequestHandler({
    endpoint: "/api/trpc",
    req: boundedRequest(request),
    router: appRouter,
    // The console sends queries as POST (see components/trpc/client.tsx), in batches of at most MAX_BATCH_SIZE.
    allowMethodOverride: true,
    maxBatchSize: MAX_BATCH_SIZE,
    createContext: () => createRequestContext(request.headers),
  }),
);

export { handler as GET, handler as POST };
