// For server components: a tRPC caller bound to the current request, so pages
// go through exactly the same authorisation as the browser's calls.
import { headers } from "next/headers";
import { createRequestContext } from "./init";
import { createCaller } from "./root";

export async function requestContext() {
  return createRequestContext(await headers());
}

export async function serverCaller() {
  return createCaller(await requestContext());
}
