import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { appRouter } from "@/server/trpc/root";
import { createRequestContext } from "@/server/trpc/init";

const handler = (request: Request) =>
  fetchRequestHandler({
    endpoint: "/api/trpc",
    req: request,
    router: appRouter,
    // The console sends queries as POST (see components/trpc/client.tsx).
    allowMethodOverride: true,
    createContext: () => createRequestContext(request.headers),
  });

export { handler as GET, handler as POST };
