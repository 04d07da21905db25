import "server-only";
// For server components: a tRPC caller bound to the current request, so pages
// go through exactly the same authorisation as the browser's calls.
import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { cache } from "react";
import { createRequestContext } from "./init";
import { createCaller } from "./root";

/** Once per request: the layout and the page both need it (session lookup + grants). */
export const requestContext = cache(async () => createRequestContext(await headers()));

/**
 * A caller for a console page. Next.js renders a page alongside its layout, so
 * each page, not only the layout, sends a visitor without a session to sign in.
 */
export async function serverCaller() {
  const ctx = await requestContext();
  if (!ctx.actor) redirect("/sign-in");
  return createCaller(ctx);
}
