"use client";

// The approver's review queue: change requests waiting for an approval my committee function can
// give, oldest first, with what each asks of me, its risk (the change page's impact risk; while that
// is computed, the part its edits decide, then the impact's once it answers) and its size.
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useTRPC } from "@/components/trpc/client";
import { describeError } from "@/components/trpc/errors";
import { Badge, Card, Notice, Table, Td } from "@/components/ui/primitives";

const RISK_TONE = { low: "green", medium: "amber", high: "red", critical: "red" } as const;

type Risk = { level: keyof typeof RISK_TONE; reasons: string[] };

/**
 * The change's risk as its page shows it: the impact's (the same query, so the same answer). Until the engine
 * answers, the queue's risk from the edits alone, which the impact's never goes below.
 */
function RiskCell({ number, fromEdits }: { number: number; fromEdits: Risk }) {
  const trpc = useTRPC();
  const impact = useQuery(trpc.changes.impact.queryOptions({ number }));
  const risk = impact.data ? { level: impact.data.risk.level, reasons: impact.data.risk.reasons.map((r) => r.text) } : fromEdits;
  const basis = impact.data ? "impact" : "edits";
  return (
    <div data-testid="queue-risk" data-basis={basis}>
      <Badge tone={RISK_TONE[risk.level]}>
        {basis === "edits" ? "at least " : ""}
        {risk.level}
      </Badge>
      <div className="mt-0.5 text-xs text-slate-500">
        {risk.reasons.join("; ")}
        {basis === "edits" ? (impact.isError ? " (impact unavailable)" : " (impact being computed)") : ""}
      </div>
    </div>
  );
}

function waited(since: Date): string {
  const hours = Math.floor((Date.now() - new Date(since).getTime()) / 3_600_000);
  if (hours < 1) return "under an hour";
  if (hours < 48) return `${hours} h`;
  return `${Math.floor(hours / 24)} days`;
}

export function ReviewQueue() {
  const trpc = useTRPC();
  const queue = useQuery(trpc.reviews.queue.queryOptions());
  if (queue.isError) return <Notice tone="error">{describeError(queue.error).message}</Notice>;
  const q = queue.data;
  if (!q) return <p className="text-sm text-slate-500">Loading the queue…</p>;
  if (q.functions.length === 0)
    return (
      <Notice tone="info">
        You hold no committee function, so no approval waits for you. Every change request is on the{" "}
        <Link href="/changes" className="text-brand-700 hover:underline">
          Changes
        </Link>{" "}
        page.
      </Notice>
    );
  return (
    <Card
      title={`Waiting for ${q.functions.join(", ")}`}
      actions={<span className="text-xs text-slate-500">{q.items.length} change request(s), oldest first</span>}
    >
      <Table
        head={["#", "Change", "Asks you for", "Risk", "Impact at a glance", "Waiting"]}
        empty={q.items.length === 0 ? <p className="px-3 py-6 text-sm text-slate-500">Nothing waits for you. Well done.</p> : null}
      >
        {q.items.map((c) => (
          <tr key={c.number} data-testid="queue-row">
            <Td className="font-mono">
              <Link href={`/changes/${c.number}`} className="text-brand-700 hover:underline">
                #{c.number}
              </Link>
            </Td>
            <Td>
              <Link href={`/changes/${c.number}`} className="font-medium text-slate-900 hover:underline">
                {c.title}
              </Link>
              {c.staged ? (
                <span className="ml-2">
                  <Badge tone="amber">staged</Badge>
                </span>
              ) : null}
              <div className="text-xs text-slate-500">
                by {c.author}
                {c.tenant ? ` · tenant ${c.tenant}` : ""}
              </div>
            </Td>
            <Td className="text-xs">
              {c.wanted.map((w) => (
                <div key={`${w.rule}-${w.function}-${w.tenant ?? ""}`}>
                  {w.missing} × {w.function}
                  {w.tenant ? ` of ${w.tenant}` : ""} <span className="font-mono text-slate-500">({w.rule})</span>
                </div>
              ))}
            </Td>
            <Td>
              <RiskCell number={c.number} fromEdits={c.risk} />
            </Td>
            <Td className="text-xs">
              {c.policies} {c.policies === 1 ? "policy" : "policies"} · {c.tiers.join(", ")}
              <div className="text-slate-500">
                rules {c.rules.join(", ")} · {c.approvals}/{c.needed} approvals
              </div>
            </Td>
            <Td className="whitespace-nowrap text-xs">{waited(c.createdAt)}</Td>
          </tr>
        ))}
      </Table>
    </Card>
  );
}
