"use client";
// Recent replay runs, with their progress while they run.
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useTRPC } from "@/components/trpc/client";
import { Badge, Card, Table, Td } from "@/components/ui/primitives";
import { formatTime } from "./format";
import { formatCount } from "@/lib/format";

const STATE_TONES = { running: "amber", succeeded: "green", failed: "red", cancelled: "slate" } as const;

export function RunList() {
  const trpc = useTRPC();
  const runs = useQuery({
    ...trpc.simulator.runs.queryOptions(),
    refetchInterval: (q) => (q.state.data?.some((r) => r.state === "running") ? 1000 : false),
  });
  const rows = runs.data ?? [];
  return (
    <Card title="Recent replays">
      <Table
        head={["Run", "Dataset", "Cluster", "State", "allow → deny", "deny → allow", "Started"]}
        empty={rows.length === 0 && !runs.isLoading ? <p className="px-3 py-6 text-center text-sm text-slate-500">No replay yet.</p> : null}
      >
        {rows.map((r) => (
          <tr key={r.id} data-testid="run-row">
            <Td>
              <Link href={`/simulator/runs/${r.id}`} className="text-brand-700 hover:underline">
                {r.baselineLabel} vs {r.proposalLabel}
              </Link>
            </Td>
            <Td>{r.datasetName}</Td>
            <Td>{r.cluster}</Td>
            <Td>
              <Badge tone={STATE_TONES[r.state]}>{r.state === "running" ? `running ${Math.floor(r.progress * 100)}%` : r.state}</Badge>
            </Td>
            <Td>{r.totals ? `${formatCount(r.totals.changes["newly-denied"].flows)} flows` : "—"}</Td>
            <Td>{r.totals ? `${formatCount(r.totals.changes["newly-allowed"].flows)} flows` : "—"}</Td>
            <Td className="text-xs">
              {r.startedByLabel}
              <br />
              {formatTime(r.createdAt)}
            </Td>
          </tr>
        ))}
      </Table>
    </Card>
  );
}
