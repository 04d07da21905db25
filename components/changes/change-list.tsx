"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useTRPC } from "@/components/trpc/client";
import { describeError } from "@/components/trpc/errors";
import { Badge, Card, Notice, Table, Td } from "@/components/ui/primitives";

export const CHANGE_STATE_TONE = {
  draft: "slate",
  "in-review": "blue",
  "changes-requested": "amber",
  approved: "green",
  released: "violet",
  "rolled-out": "violet",
  rejected: "red",
  withdrawn: "slate",
} as const;

export function ChangeList() {
  const trpc = useTRPC();
  const changes = useQuery(trpc.changes.list.queryOptions());
  if (changes.isError) return <Notice tone="error">{describeError(changes.error).message}</Notice>;
  return (
    <Card title="Change requests">
      <Table
        head={["#", "Title", "Author", "State", "Policies", "Opened"]}
        empty={
          changes.data?.length === 0 ? (
            <p className="px-3 py-6 text-sm text-slate-500">No change requests yet. Propose one from the Policies page.</p>
          ) : null
        }
      >
        {(changes.data ?? []).map((c) => (
          <tr key={c.id} data-testid="change-row">
            <Td className="font-mono">
              <Link href={`/changes/${c.number}`} className="text-brand-700 hover:underline">
                #{c.number}
              </Link>
            </Td>
            <Td>
              <Link href={`/changes/${c.number}`} className="font-medium text-slate-900 hover:underline">
                {c.title}
              </Link>
              {c.tenant ? <div className="text-xs text-slate-500">tenant {c.tenant}</div> : null}
            </Td>
            <Td className="text-xs">{c.authorLabel}</Td>
            <Td>
              <Badge tone={CHANGE_STATE_TONE[c.state]}>{c.state}</Badge>
              {c.staged ? (
                <span className="ml-1">
                  <Badge tone="amber">staged</Badge>
                </span>
              ) : null}
            </Td>
            <Td className="text-xs">
              {c.items.map((i) => (
                <div key={i.name} className="font-mono">
                  {i.name}{" "}
                  <span className="text-slate-500">
                    {i.fromVersion ? `v${i.fromVersion}` : "new"} → v{i.toVersion}
                  </span>
                </div>
              ))}
            </Td>
            <Td className="whitespace-nowrap text-xs">{new Date(c.createdAt).toISOString().slice(0, 16).replace("T", " ")}</Td>
          </tr>
        ))}
      </Table>
    </Card>
  );
}
