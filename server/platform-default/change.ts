// What a change of the platform default does, as the approval rules and the
// change page read it (pure). Loosening is what leaves any namespace uncovered
// that was covered: turning the default off, or leaving another namespace out.
import type { PlatformDefault } from "@/server/policy/model";

export function loosensPlatformDefault(from: PlatformDefault, to: PlatformDefault): boolean {
  if (!from.enabled) return false;
  if (!to.enabled) return true;
  return to.excludeNamespaces.some((n) => !from.excludeNamespaces.includes(n));
}

/** The change in words, one phrase per difference ("turns it off", "leaves kube-system out"); empty when nothing changes. */
export function describePlatformDefaultChange(from: PlatformDefault, to: PlatformDefault): string[] {
  const out: string[] = [];
  if (from.enabled !== to.enabled) out.push(to.enabled ? "turns it on" : "turns it off");
  const left = to.excludeNamespaces.filter((n) => !from.excludeNamespaces.includes(n));
  const back = from.excludeNamespaces.filter((n) => !to.excludeNamespaces.includes(n));
  if (left.length) out.push(`leaves ${left.join(", ")} out`);
  if (back.length) out.push(`covers ${back.join(", ")} again`);
  return out;
}

/** `on, every namespace` / `on, except kube-system` / `off` */
export const formatPlatformDefault = (d: PlatformDefault) =>
  !d.enabled ? "off" : d.excludeNamespaces.length === 0 ? "on, every namespace" : `on, except ${d.excludeNamespaces.join(", ")}`;
