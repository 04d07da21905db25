import { createApiApp } from "@/server/api/app";
import { loadGrants } from "@/server/auth/authorize";
import { loopbackSpellings } from "@/server/auth/auth";
import { env } from "@/server/env";
import { getRuntime } from "@/server/runtime";

// Built on the first request, not at import (the build imports this module without a configured environment).
let api: ReturnType<typeof createApiApp> | undefined;
function build() {
  const config = env();
  return createApiApp(async () => (await getRuntime()).database.db, {
    // The console's session cookie works here too, with the rights of the person behind it.
    sessionActor: async (headers, db) => {
      const found = await (await getRuntime()).auth.api.getSession({ headers });
      return found ? { type: "user", id: found.user.id, label: found.user.email, grants: await loadGrants(db, found.user.id) } : null;
    },
    trustedOrigins: loopbackSpellings(config.BETTER_AUTH_URL ?? `http://localhost:${config.PORT}`),
  });
}
const handle = (request: Request) => (api ??= build()).fetch(request);

export { handle as GET, handle as POST, handle as PUT, handle as PATCH, handle as DELETE };
