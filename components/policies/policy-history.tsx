"use client";

// Every version of a policy, a side-by-side diff between any two, and
// "restore this version" (a new draft, which still needs a change request).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { useTRPC } from "@/components/trpc/client";
import { describeError } from "@/components/trpc/errors";
import { Badge, Button, Card, Notice, Select, Table, Td } from "@/components/ui/primitives";
import { SideBySideDiff } from "./side-by-side-diff";

const stateTone = { released: "green", draft: "blue", superseded: "slate" } as const;

function VersionSelect({
  label,
  versions,
  value,
  onChange,
}: {
  label: string;
  versions: { version: number; state: string }[];
  value: number | undefined;
  onChange: (v: number) => void;
}) {
  return (
    <Select aria-label={label} className="py-0.5 text-xs" value={value ?? ""} onChange={(e) => onChange(Number(e.target.value))}>
      {versions.map((v) => (
        <option key={v.version} value={v.version}>
          v{v.version} ({v.state})
        </option>
      ))}
    </Select>
  );
}

export function PolicyHistory({ name }: { name: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const policy = useQuery(trpc.policies.get.queryOptions({ name }));
  const restore = useMutation(
    trpc.policies.restoreVersion.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.policies.pathKey() });
        router.push(`/policies/${name}`);
      },
    }),
  );
  const versions = policy.data?.versions ?? [];
  const latest = versions.at(-1)?.version ?? 1;
  const defaultLeft =
    policy.data?.policy.releasedVersion && policy.data.policy.releasedVersion !== latest
      ? policy.data.policy.releasedVersion
      : Math.max(1, latest - 1);
  const [left, setLeft] = useState<number | null>(null);
  const [right, setRight] = useState<number | null>(null);
  const l = versions.find((v) => v.version === (left ?? defaultLeft));
  const r = versions.find((v) => v.version === (right ?? latest));
  if (policy.isError) return <Notice tone="error">{describeError(policy.error).message}</Notice>;
  return (
    <div className="space-y-6">
      {restore.error ? <Notice tone="error">{describeError(restore.error).message}</Notice> : null}
      <Card title="Versions">
        <Table head={["Version", "State", "Author", "Time", "Note", "Change request", ""]}>
          {[...versions].reverse().map((v) => (
            <tr key={v.version} data-testid="version-row">
              <Td className="font-mono">v{v.version}</Td>
              <Td>
                <Badge tone={stateTone[v.state]}>{v.state}</Badge>
              </Td>
              <Td className="text-xs">{v.authorLabel}</Td>
              <Td className="whitespace-nowrap text-xs">{new Date(v.createdAt).toISOString().slice(0, 19).replace("T", " ")}</Td>
              <Td className="text-xs">{v.message}</Td>
              <Td className="text-xs">
                {v.changeRequests.length === 0
                  ? "—"
                  : v.changeRequests.map((c) => (
                      <Link key={c.number} href={`/changes/${c.number}`} className="mr-2 text-brand-700 hover:underline">
                        #{c.number} ({c.state})
                      </Link>
                    ))}
              </Td>
              <Td>
                {policy.data?.mayDraft && v.version !== latest ? (
                  <Button
                    variant="secondary"
                    className="whitespace-nowrap px-2 py-0.5 text-xs"
                    disabled={restore.isPending}
                    onClick={() => restore.mutate({ policyName: name, version: v.version })}
                  >
                    Restore this version
                  </Button>
                ) : null}
              </Td>
            </tr>
          ))}
        </Table>
      </Card>
      <Card
        title="Compare versions"
        actions={
          <div className="flex items-center gap-2 text-xs">
            <VersionSelect label="Left version" versions={versions} value={l?.version} onChange={setLeft} />
            <span>→</span>
            <VersionSelect label="Right version" versions={versions} value={r?.version} onChange={setRight} />
          </div>
        }
      >
        {l && r ? (
          <SideBySideDiff
            before={l.yaml}
            after={r.yaml}
            beforeLabel={`v${l.version} · ${l.authorLabel}`}
            afterLabel={`v${r.version} · ${r.authorLabel}`}
          />
        ) : (
          <p className="text-sm text-slate-500">Loading…</p>
        )}
      </Card>
    </div>
  );
}
