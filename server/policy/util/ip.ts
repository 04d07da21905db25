/** IPv4/IPv6 addresses and CIDRs as bigints; used at index-build time, not per decision. */

export interface ParsedIp {
  family: 4 | 6;
  value: bigint;
}

export interface ParsedCidr {
  family: 4 | 6;
  /** Network address (host bits cleared). */
  base: bigint;
  prefix: number;
  /** Last address in the block. */
  last: bigint;
}

/** Dotted quad: four decimal octets of 1-3 digits, none above 255, none with a leading zero. */
function parseV4(s: string): bigint | null {
  // By hand rather than a regular expression and four BigInt steps: every pod's address is read at build time.
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 0x2e;
    if (c === 0x2e /* . */) {
      if (digits === 0 || octet > 255 || (i < s.length && dots === 3)) return null;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= 0x30 && c <= 0x39) {
      if ((digits === 1 && octet === 0) || digits === 3) return null; // no octal-looking octets
      octet = octet * 10 + (c - 0x30);
      digits++;
    } else return null;
  }
  return dots === 4 ? BigInt(value) : null;
}

function parseV6(s: string): bigint | null {
  if (s.length === 0 || s.length > 45) return null;
  let head = s;
  let tailV4: bigint | null = null;
  // Embedded IPv4 suffix (::ffff:1.2.3.4).
  const lastColon = s.lastIndexOf(":");
  if (lastColon >= 0 && s.slice(lastColon + 1).includes(".")) {
    tailV4 = parseV4(s.slice(lastColon + 1));
    if (tailV4 === null) return null;
    head = s.slice(0, lastColon + 1) + "0:0";
  }
  const dbl = head.split("::");
  if (dbl.length > 2) return null;
  const parseGroups = (part: string): number[] | null => {
    if (part === "") return [];
    const out: number[] = [];
    for (const g of part.split(":")) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const left = parseGroups(dbl[0]!);
  const right = dbl.length === 2 ? parseGroups(dbl[1]!) : [];
  if (!left || !right) return null;
  let groups: number[];
  if (dbl.length === 2) {
    const missing = 8 - left.length - right.length;
    if (missing < 1) return null;
    groups = [...left, ...new Array<number>(missing).fill(0), ...right];
  } else {
    groups = left;
  }
  if (groups.length !== 8) return null;
  let v = 0n;
  for (const g of groups) v = (v << 16n) | BigInt(g);
  if (tailV4 !== null) v = (v & ~0xffffffffn) | tailV4;
  return v;
}

export function parseIp(s: string): ParsedIp | null {
  const v4 = parseV4(s);
  if (v4 !== null) return { family: 4, value: v4 };
  if (s.includes(":")) {
    const v6 = parseV6(s);
    if (v6 !== null) return { family: 6, value: v6 };
  }
  return null;
}

export function isIp(s: string): boolean {
  return parseIp(s) !== null;
}

/** Parse "a.b.c.d/n" or "x::/n". Host bits are cleared, as the kernel/CNIs do. */
export function parseCidr(s: string): ParsedCidr | null {
  const slash = s.indexOf("/");
  if (slash < 0) return null;
  const ip = parseIp(s.slice(0, slash));
  const prefixText = s.slice(slash + 1);
  if (!ip || !/^\d{1,3}$/.test(prefixText)) return null;
  const prefix = Number(prefixText);
  const bits = ip.family === 4 ? 32 : 128;
  if (prefix > bits) return null;
  const hostBits = BigInt(bits - prefix);
  const hostMask = (1n << hostBits) - 1n;
  const base = ip.value & ~hostMask & ((1n << BigInt(bits)) - 1n);
  return { family: ip.family, base, prefix, last: base | hostMask };
}

export function cidrContainsIp(c: ParsedCidr, ip: ParsedIp): boolean {
  return c.family === ip.family && ip.value >= c.base && ip.value <= c.last;
}

export function cidrContainsCidr(outer: ParsedCidr, inner: ParsedCidr): boolean {
  return outer.family === inner.family && inner.base >= outer.base && inner.last <= outer.last && inner.prefix >= outer.prefix;
}

/**
 * The `except` entries of an ipBlock that are not strictly inside its `cidr` (NetworkPolicy's rule,
 * used for documents too), by index. Unparseable entries are left to the CIDR check.
 */
export function exceptsOutside(cidr: string, except: readonly string[]): { index: number; message: string }[] {
  const outer = parseCidr(cidr);
  if (!outer) return [];
  const out: { index: number; message: string }[] = [];
  except.forEach((e, index) => {
    const inner = parseCidr(e);
    if (inner && !(cidrContainsCidr(outer, inner) && inner.prefix > outer.prefix))
      out.push({ index, message: `expected a CIDR strictly inside ${cidr}, got ${e}` });
  });
  return out;
}

export function formatIp(ip: ParsedIp): string {
  if (ip.family === 4) {
    const v = ip.value;
    return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 255n)).join(".");
  }
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((ip.value >> BigInt(i * 16)) & 0xffffn).toString(16));
  return groups.join(":").replace(/(^|:)0(:0)+(:|$)/, "::");
}

/**
 * A representative address inside `cidr` but outside every `except` block,
 * or null when the excepts cover the whole block. Used by reachability to
 * stand for "some destination in this block".
 */
export function representativeIp(cidr: ParsedCidr, except: readonly ParsedCidr[]): ParsedIp | null {
  // Try a few candidates: just after each except block, and the block's first usable address.
  const candidates: bigint[] = [cidr.prefix < (cidr.family === 4 ? 31 : 127) ? cidr.base + 1n : cidr.base];
  for (const e of except) candidates.push(e.last + 1n, e.base - 1n);
  for (const v of candidates) {
    if (v < cidr.base || v > cidr.last) continue;
    const ip: ParsedIp = { family: cidr.family, value: v };
    if (!except.some((e) => cidrContainsIp(e, ip))) return ip;
  }
  return null;
}
