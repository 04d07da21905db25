"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useTRPC } from "@/components/trpc/client";
import { describeError } from "@/components/trpc/errors";
import { Badge, Card, Notice, Table, Td } from "@/components/ui/primitives";
import { EmergencyReview, RollbackForm } from "./release-actions";
import { Rollout } from "./rollout";
import { StagedObjects } from "./staged-objects";

export function ReleaseDetail({ number, admin, latest }: { number: number; admin: boolean; latest: boolean }) {
  const trpc = useTRPC();
  const release = useQuery(trpc.releases.get.queryOptions({ number }));
  if (release.isError) return <Notice tone="error">{describeError(release.error).message}</Notice>;
  const r = release.data;
  if (!r) return <p className="text-sm text-slate-500">Loading…</p>;
  const changed = r.policies.filter((p) => p.changed);
  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-center gap-3 text-sm text-slate-700">
        <span>by {r.createdBy}</span>
        <span>{new Date(r.createdAt).toISOString().slice(0, 16).replace("T", " ")}</span>
        {r.changeRequest ? (
          <Link href={`/changes/${r.changeRequest}`} className="text-brand-700 hover:underline">
            change #{r.changeRequest}
          </Link>
        ) : null}
        {r.previous ? (
          <Link href={`/releases/${r.previous}`} className="text-brand-700 hover:underline">
            previous: release {r.previous}
          </Link>
        ) : null}
        <span className="font-mono text-xs text-slate-500" title="Hash of the whole policy set">
          policy set {r.policySetHash.slice(0, 12)}
        </span>
      </div>
      {r.rollbackTo ? <Notice tone="info">A rollback: this release has the policy set of release {r.rollbackTo}.</Notice> : null}
      {r.emergencyReason && r.emergencyReview ? (
        <EmergencyReview number={r.number} reason={r.emergencyReason} review={r.emergencyReview} />
      ) : null}
      {r.staged ? (
        <Notice tone="info">
          A staged release: change #{r.changeRequest}&apos;s versions are rolled out audit-only where the cluster can, and nothing it
          carries is enforced.
        </Notice>
      ) : null}
      <Rollout number={r.number} />
      <StagedObjects number={r.number} />
      <Card title={`What release ${r.number} changed`}>
        <ul className="space-y-1 text-sm" data-testid="release-changes">
          {changed.map((p) => (
            <li key={p.name}>
              <Link href={`/policies/${p.name}`} className="font-mono text-brand-700 hover:underline">
                {p.name}
              </Link>{" "}
              {p.previousVersion ? `v${p.previousVersion}` : "new"} → v{p.version}
            </li>
          ))}
        </ul>
      </Card>
      <Card
        title={`The policy set (${r.policies.length}${r.hiddenPolicies ? ` you may read, and ${r.hiddenPolicies} of other tenants` : ""})`}
      >
        <Table head={["Policy", "Kind", "Tier", "Version", "Content"]}>
          {r.policies.map((p) => (
            <tr key={p.name} data-testid="release-policy">
              <Td className="font-mono">
                {p.name} {p.changed ? <Badge tone="violet">changed</Badge> : null}
              </Td>
              <Td className="text-xs">{p.kind === "ComplianceConstraint" ? "constraint" : "policy"}</Td>
              <Td className="text-xs">{p.tier}</Td>
              <Td className="font-mono text-xs">v{p.version}</Td>
              <Td className="font-mono text-xs text-slate-500">{p.contentHash.slice(0, 12)}</Td>
            </tr>
          ))}
        </Table>
      </Card>
      {admin && !latest ? <RollbackForm number={r.number} /> : null}
    </div>
  );
}
