"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useTRPC } from "@/components/trpc/client";
import { describeError } from "@/components/trpc/errors";
import { Badge, Card, Notice, Table, Td } from "@/components/ui/primitives";

const when = (at: Date | string) => new Date(at).toISOString().slice(0, 16).replace("T", " ");

export function ReleaseList() {
  const trpc = useTRPC();
  const releases = useQuery(trpc.releases.list.queryOptions());
  if (releases.isError) return <Notice tone="error">{describeError(releases.error).message}</Notice>;
  return (
    <Card title="Releases">
      <Table
        head={["Release", "Change", "Released by", "Released", "Policy set"]}
        empty={
          releases.data?.length === 0 ? (
            <p className="px-3 py-6 text-sm text-slate-500">
              No release yet. An approved change request becomes one when an admin releases it.
            </p>
          ) : null
        }
      >
        {(releases.data ?? []).map((r) => (
          <tr key={r.number} data-testid="release-row">
            <Td className="font-mono">
              <Link href={`/releases/${r.number}`} className="text-brand-700 hover:underline">
                release {r.number}
              </Link>
              {r.emergency ? (
                <span className="ml-2">
                  <Badge tone="red">emergency</Badge>
                </span>
              ) : null}
              {r.staged ? (
                <span className="ml-2">
                  <Badge tone="amber">staged</Badge>
                </span>
              ) : null}
            </Td>
            <Td>
              {r.changeRequest ? (
                <Link href={`/changes/${r.changeRequest}`} className="hover:underline">
                  #{r.changeRequest} {r.title}
                </Link>
              ) : (
                r.title
              )}
            </Td>
            <Td className="text-xs">{r.createdBy}</Td>
            <Td className="whitespace-nowrap text-xs">{when(r.createdAt)}</Td>
            <Td className="font-mono text-xs text-slate-500">{r.policySetHash.slice(0, 12)}</Td>
          </tr>
        ))}
      </Table>
    </Card>
  );
}
