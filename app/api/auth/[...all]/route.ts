import { getRuntime } from "@/server/runtime";

// The auth instance is built lazily (the database opens asynchronously at start).
const handler = async (request: Request) => (await getRuntime()).auth.handler(request);

export { handler as GET, handler as POST };
