// Whether an exception was actually used: flows observed that only it allowed (near-misses from
// the violations data), their count, when last seen and in which clusters. Shown on the
// Exceptions page and where a renewal is requested, so the committee sees if it is still needed.
import { formatCount } from "@/lib/format";
import type { ExceptionUsage } from "@/server/exceptions/usage";

export function UsageSummary({ usage, compact = false }: { usage: ExceptionUsage; compact?: boolean }) {
  if (usage.flows === 0)
    return (
      <span className="text-xs text-slate-500" data-testid="exception-usage">
        {compact ? "not seen in use" : "Not seen in use: no observed flow needed this exception (in the flows kept, up to 90 days)."}
      </span>
    );
  const last = new Date(usage.lastSeen!).toLocaleString();
  return (
    <span className="text-xs text-slate-700" data-testid="exception-usage">
      {compact ? "used: " : "Used: "}
      <span className="font-semibold">{formatCount(usage.flows)}</span> flow(s) only it allowed, last seen {last}
      {compact ? null : <> — {usage.clusters.map((c) => `${c.name}: ${formatCount(c.flows)}`).join(", ")}</>}
    </span>
  );
}
