// Which address a request comes from, for sign-in rate limiting and the audit
// trail. Any client can send X-Forwarded-For, so it counts only when the peer
// that sent it is a proxy we trust (TRUSTED_PROXIES: comma-separated addresses
// or CIDR ranges); then the nearest valid address that is not one of our
// proxies wins. The console's server writes the answer into CLIENT_IP_HEADER on
// every request, replacing whatever the client sent, and sets
// CLIENT_IP_FROM_SERVER in its environment so server/auth/auth.ts knows the
// header is its own (under `next dev` it is not, and is ignored).
import { BlockList, isIP } from "node:net";

export const CLIENT_IP_HEADER = "x-policyplane-client-ip";
export const CLIENT_IP_FROM_SERVER = "POLICYPLANE_CLIENT_IP_FROM_SERVER";

/** An address as written in a header or by a socket: "[::1]:443", "1.2.3.4:5678", "::ffff:1.2.3.4", "fe80::1%eth0" → the bare address, or null. */
function normalise(raw) {
  let a = raw.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(a);
  if (bracketed) a = bracketed[1];
  else if (/^[\d.]+:\d+$/.test(a)) a = a.slice(0, a.lastIndexOf(":"));
  a = a.replace(/%.*$/, "").toLowerCase();
  if (a.startsWith("::ffff:") && isIP(a.slice(7)) === 4) a = a.slice(7);
  return isIP(a) ? a : null;
}

function trustedList(spec) {
  const list = new BlockList();
  for (const entry of (spec ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [address, bits] = entry.split("/");
    const ip = normalise(address ?? "");
    if (!ip) throw new Error(`TRUSTED_PROXIES: "${entry}" is not an IP address or CIDR range`);
    const type = isIP(ip) === 6 ? "ipv6" : "ipv4";
    if (bits === undefined) list.addAddress(ip, type);
    else list.addSubnet(ip, Number(bits), type);
  }
  return list;
}

/**
 * @param {string | undefined} trustedProxies TRUSTED_PROXIES
 * @returns {(remoteAddress: string | undefined, forwardedFor: string | string[] | undefined) => string}
 */
export function clientIpResolver(trustedProxies) {
  const trusted = trustedList(trustedProxies);
  const isTrusted = (ip) => trusted.check(ip, isIP(ip) === 6 ? "ipv6" : "ipv4");
  return (remoteAddress, forwardedFor) => {
    let address = normalise(remoteAddress ?? "") ?? "";
    const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(",") : (forwardedFor ?? "")).split(",");
    // Walk back from our side: each trusted proxy vouches for the address before it; a hop
    // that is not an address ends the walk at the last proxy.
    while (address && isTrusted(address) && hops.length > 0) {
      const previous = normalise(hops.pop());
      if (!previous) break;
      address = previous;
    }
    return address;
  };
}
