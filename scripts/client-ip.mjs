// Which address a request comes from, for sign-in rate limiting and the audit
// trail. Any client can send X-Forwarded-For, so it counts only when the peer
// that sent it is a proxy we trust (TRUSTED_PROXIES, comma-separated
// addresses); then the nearest address that is not one of our proxies wins.
// The console's server writes the answer into CLIENT_IP_HEADER on every
// request, replacing whatever the client sent (server/auth/auth.ts reads it).

export const CLIENT_IP_HEADER = "x-policyplane-client-ip";

/** "::ffff:192.0.2.1" (an IPv4 peer on a dual-stack socket) → "192.0.2.1". */
function normalise(address) {
  const trimmed = address.trim();
  return trimmed.toLowerCase().startsWith("::ffff:") && trimmed.includes(".") ? trimmed.slice(7) : trimmed;
}

/**
 * @param {string | undefined} trustedProxies TRUSTED_PROXIES: addresses of the proxies in front of the console
 * @returns {(remoteAddress: string | undefined, forwardedFor: string | string[] | undefined) => string}
 */
export function clientIpResolver(trustedProxies) {
  const trusted = new Set((trustedProxies ?? "").split(",").map((s) => s.trim()).filter(Boolean).map(normalise));
  return (remoteAddress, forwardedFor) => {
    let address = normalise(remoteAddress ?? "");
    const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(",") : (forwardedFor ?? "")).split(",").map((s) => s.trim()).filter(Boolean);
    // Walk back from our side: each trusted proxy vouches for the address before it.
    while (trusted.has(address) && hops.length > 0) address = normalise(hops.pop());
    return address;
  };
}
