import { createApiApp } from "@/server/api/app";
import { getRuntime } from "@/server/runtime";

const api = createApiApp(async () => (await getRuntime()).database.db);
const handle = (request: Request) => api.fetch(request);

export { handle as GET, handle as POST, handle as PUT, handle as PATCH, handle as DELETE };
