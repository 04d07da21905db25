"use client";

// A release's staged (audit-only) versions and what each cluster gets of them:
// Calico's staged policies (their YAML), or nothing, with the reason.
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useTRPC } from "@/components/trpc/client";
import { describeError } from "@/components/trpc/errors";
import { Badge, Card, Notice } from "@/components/ui/primitives";

export function StagedObjects({ number }: { number: number }) {
  const trpc = useTRPC();
  const staged = useQuery(trpc.releases.staged.queryOptions({ number }));
  if (staged.isError) return <Notice tone="error">{describeError(staged.error).message}</Notice>;
  const s = staged.data;
  if (!s || s.entries.length === 0) return null;
  return (
    <Card title={`Staged, audit-only (${s.entries.length}): never enforced`}>
      <div className="space-y-3 text-sm" data-testid="release-staged">
        <ul className="space-y-1">
          {s.entries.map((e) => (
            <li key={e.name}>
              <Badge tone="amber">staged</Badge>{" "}
              <Link href={`/policies/${e.name}`} className="font-mono text-brand-700 hover:underline">
                {e.name}
              </Link>{" "}
              v{e.version} from{" "}
              <Link href={`/changes/${e.changeRequestNumber}`} className="text-brand-700 hover:underline">
                change #{e.changeRequestNumber}
              </Link>
            </li>
          ))}
        </ul>
        {s.clusters.map((c) => (
          <details key={c.cluster} className="rounded-md ring-1 ring-slate-200">
            <summary className="cursor-pointer px-3 py-2">
              <span className="font-mono">{c.cluster}</span> ({c.cni ?? "CNI not known"}):{" "}
              {c.objects > 0 ? `${c.objects} staged Calico object(s)` : "nothing rendered"}
            </summary>
            <div className="space-y-2 px-3 pb-3">
              {c.notes.map((n) => (
                <p key={n} className="text-xs text-slate-600">
                  {n}
                </p>
              ))}
              {c.yaml ? <pre className="max-h-96 overflow-auto rounded bg-slate-50 p-2 text-xs">{c.yaml}</pre> : null}
            </div>
          </details>
        ))}
      </div>
    </Card>
  );
}
