/** CIDR set difference: AdminNetworkPolicy `networks` have no `except`, so cidr-minus-excepts is rendered as the covering blocks. */
import { cidrContainsCidr, formatIp, parseCidr, type ParsedCidr } from "../util/ip";

function halves(c: ParsedCidr): [ParsedCidr, ParsedCidr] {
  const bits = c.family === 4 ? 32 : 128;
  const prefix = c.prefix + 1;
  const size = 1n << BigInt(bits - prefix);
  return [
    { family: c.family, base: c.base, prefix, last: c.base + size - 1n },
    { family: c.family, base: c.base + size, prefix, last: c.last },
  ];
}

function overlaps(a: ParsedCidr, b: ParsedCidr): boolean {
  return a.family === b.family && a.base <= b.last && b.base <= a.last;
}

/** The minimal list of CIDRs covering `cidr` minus every `except` block, in address order. */
export function subtractCidrs(cidr: string, except: readonly string[]): string[] {
  const outer = parseCidr(cidr);
  if (!outer) return [];
  const holes = except.map((e) => parseCidr(e)).filter((e): e is ParsedCidr => !!e && overlaps(outer, e));
  const out: ParsedCidr[] = [];
  const walk = (c: ParsedCidr): void => {
    const hit = holes.filter((h) => overlaps(c, h));
    if (hit.length === 0) out.push(c);
    else if (hit.some((h) => cidrContainsCidr(h, c))) return;
    else for (const half of halves(c)) walk(half);
  };
  walk(outer);
  return out.map((c) => `${formatIp({ family: c.family, value: c.base })}/${c.prefix}`);
}
