// Test helper: requests to a better-auth instance as a browser at `origin` sends
// them, each from its own client address (so the sign-in rate limit, which
// counts per address behind scripts/start.mjs, does not trip across steps).
import type { Auth } from "@/server/auth/auth";
import { CLIENT_IP_HEADER } from "@/scripts/client-ip.mjs";

let requests = 0;

export function authRequests(auth: Auth, origin: string) {
  const post = (path: string, body: unknown, cookie = "") =>
    auth.handler(
      new Request(`${origin}/api/auth${path}`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          origin,
          cookie,
          [CLIENT_IP_HEADER]: `10.${(++requests >> 8) & 255}.${requests & 255}.1`,
        },
        body: JSON.stringify(body),
      }),
    );
  return { post };
}

/** Cookies a response set, as a Cookie header (merged over `jar`). */
export function cookies(response: Response, jar = ""): string {
  const all = new Map(jar ? jar.split("; ").map((c) => c.split("=", 2) as [string, string]) : []);
  for (const set of response.headers.getSetCookie()) {
    const [pair] = set.split(";");
    const at = pair!.indexOf("=");
    all.set(pair!.slice(0, at), pair!.slice(at + 1));
  }
  return [...all].map(([k, v]) => `${k}=${v}`).join("; ");
}
