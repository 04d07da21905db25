"use client";
// The uploaded datasets: size, records, bad lines (the first ones by line number), time range and
// who uploaded them; the uploader or an admin deletes.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/client";
import { Badge, Button, Card, Notice, Table, Td } from "@/components/ui/primitives";
import { formatBytes, formatTime } from "./format";
import { formatCount } from "@/lib/format";

export function DatasetList() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const datasets = useQuery({
    ...trpc.simulator.datasets.queryOptions(),
    // While one is being read, its counts arrive shortly.
    refetchInterval: (q) => (q.state.data?.some((d) => d.state === "scanning") ? 1000 : false),
  });
  const remove = useMutation(
    trpc.simulator.deleteDataset.mutationOptions({
      onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.simulator.datasets.queryKey() }),
    }),
  );
  const rows = datasets.data ?? [];
  return (
    <Card title="Datasets">
      {remove.error ? (
        <div className="mb-3">
          <Notice tone="error">{remove.error.message}</Notice>
        </div>
      ) : null}
      <Table
        head={["Name", "Size", "Records", "Bad lines", "Time range", "Uploaded by", ""]}
        empty={
          rows.length === 0 && !datasets.isLoading ? (
            <p className="px-3 py-6 text-center text-sm text-slate-500">No dataset yet: upload a flow log above.</p>
          ) : null
        }
      >
        {rows.map((d) => (
          <tr key={d.id} data-testid="dataset-row">
            <Td>
              <span className="font-medium text-slate-900">{d.name}</span>
              <div className="text-xs text-slate-500">
                {d.format === "csv" ? "CSV" : "JSON lines"}
                {d.gzip ? ", gzip" : ""}
              </div>
            </Td>
            <Td>{formatBytes(d.sizeBytes)}</Td>
            <Td>
              {d.state === "scanning" ? (
                <Badge tone="amber">reading…</Badge>
              ) : d.state === "failed" ? (
                <Badge tone="red">unreadable</Badge>
              ) : (
                <span data-testid="dataset-records">
                  {formatCount(d.recordCount ?? 0)} record(s)
                  {d.flowCount !== d.recordCount ? `, ${formatCount(d.flowCount ?? 0)} flows` : ""}
                </span>
              )}
              {d.error ? <div className="text-xs text-rose-700">{d.error}</div> : null}
            </Td>
            <Td>
              {d.badLineCount ? (
                <details>
                  <summary className="cursor-pointer" data-testid="dataset-bad-lines">
                    {formatCount(d.badLineCount)} bad line(s)
                  </summary>
                  <ul className="mt-1 max-w-md space-y-0.5 text-xs">
                    {(d.badLines ?? []).map((b) => (
                      <li key={b.line}>
                        <span className="font-mono">line {b.line}</span>: {b.reason}
                      </li>
                    ))}
                    {d.badLineCount > (d.badLines?.length ?? 0) ? (
                      <li>… and {formatCount(d.badLineCount - (d.badLines?.length ?? 0))} more</li>
                    ) : null}
                  </ul>
                </details>
              ) : d.state === "ready" ? (
                "none"
              ) : (
                "—"
              )}
            </Td>
            <Td className="text-xs">
              {d.timeFrom ? (
                <>
                  {formatTime(d.timeFrom)}
                  <br />… {formatTime(d.timeTo)}
                </>
              ) : (
                "no times (decided at run time)"
              )}
            </Td>
            <Td className="text-xs">
              {d.uploaderLabel}
              <br />
              {formatTime(d.createdAt)}
            </Td>
            <Td>
              {d.mayDelete ? (
                <Button
                  variant="danger"
                  disabled={remove.isPending}
                  onClick={() => {
                    if (window.confirm(`Delete the dataset ${d.name} and its runs?`)) remove.mutate({ id: d.id });
                  }}
                >
                  Delete
                </Button>
              ) : null}
            </Td>
          </tr>
        ))}
      </Table>
    </Card>
  );
}
