// How an exception's flow reads in the console, and the form's label text.
import type { ExceptionFlow } from "@/db/schema/exceptions";

export const labelsText = (labels: Record<string, string>) =>
  Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(", ");

/** "app=cart, tier=api" → { app: "cart", tier: "api" }; null when a part is not key=value. */
export function parseLabels(text: string): Record<string, string> | null {
  const out: Record<string, string> = {};
  for (const part of text
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean)) {
    const eq = part.indexOf("=");
    if (eq <= 0) return null;
    out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}

export function sourceText(flow: ExceptionFlow): string {
  const l = labelsText(flow.source.labels);
  return l ? `${flow.source.namespace} {${l}}` : `${flow.source.namespace} (whole namespace)`;
}

export function destinationText(flow: ExceptionFlow): string {
  const d = flow.destination;
  if (d.kind === "workload") {
    const l = labelsText(d.labels);
    return l ? `${d.namespace} {${l}}` : `${d.namespace} (whole namespace)`;
  }
  return d.kind === "service" ? `service ${d.service}` : d.kind === "cidr" ? d.cidr : d.dns;
}

export const portsText = (flow: ExceptionFlow) =>
  flow.ports.map((p) => `${p.port}${p.endPort ? `-${p.endPort}` : ""}/${p.protocol}`).join(", ");

/** A datetime-local value (the browser's time zone) for an instant. */
export function localInputValue(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The instant a datetime-local value names in the browser's time zone, with its offset made explicit (UTC). */
export function instantOfLocal(value: string): string {
  const ms = new Date(value).getTime();
  return Number.isNaN(ms) ? value : new Date(ms).toISOString();
}
