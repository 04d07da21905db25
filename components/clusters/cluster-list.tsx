"use client";

// The Clusters page: every cluster with its capabilities, release and rollout, last contact and drift.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { CNI_LABELS, POLICY_API_LABELS } from "@/lib/clusters";
import { useTRPC } from "@/components/trpc/client";
import { describeError } from "@/components/trpc/errors";
import { Badge, Button, Card, Notice, Table, Td } from "@/components/ui/primitives";
import { ClusterForm } from "./cluster-form";
import { ago } from "./time";

export function ClusterList({ admin }: { admin: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const clusters = useQuery(trpc.clusters.overview.queryOptions());
  const [registering, setRegistering] = useState(false);
  const register = useMutation(
    trpc.clusters.register.mutationOptions({
      onSuccess: () => {
        setRegistering(false);
        return queryClient.invalidateQueries({ queryKey: trpc.clusters.overview.queryKey() });
      },
    }),
  );
  const gitops = useMutation(trpc.clusters.exportGitOps.mutationOptions());
  const now = Date.now();
  return (
    <div className="space-y-6">
      <Card
        title="Clusters"
        actions={
          admin ? (
            <div className="flex gap-2">
              <Button variant="secondary" disabled={gitops.isPending} onClick={() => gitops.mutate()}>
                {gitops.isPending ? "Exporting…" : "Export to GitOps"}
              </Button>
              {!registering ? (
                <Button variant="secondary" onClick={() => setRegistering(true)}>
                  Register a cluster
                </Button>
              ) : null}
            </div>
          ) : null
        }
      >
        {gitops.error ? <Notice tone="error">{describeError(gitops.error).message}</Notice> : null}
        {gitops.data ? (
          <Notice tone="success">
            {gitops.data.commit
              ? `Committed ${gitops.data.commit.slice(0, 12)}: ${gitops.data.clusters.map((c) => `${c.name} (release ${c.release ?? "none"}, ${c.objects} objects)`).join(", ")}.`
              : "The GitOps repository already holds this desired state: nothing to commit."}
          </Notice>
        ) : null}
        {gitops.data?.push ? (
          gitops.data.push.pushed ? (
            <Notice tone="success">
              Pushed to {gitops.data.push.url} (branch {gitops.data.push.branch})
              {gitops.data.push.rebuilt ? ", rebuilt on the branch's new tip" : ""}.
            </Notice>
          ) : (
            <Notice tone="error">Not pushed; the commit is kept locally and goes out with the next export. {gitops.data.push.error}</Notice>
          )
        ) : null}
        {registering ? (
          <div className="mb-5 rounded-lg border border-slate-200 p-4">
            <ClusterForm submitLabel="Register" pending={register.isPending} error={register.error} onSubmit={(v) => register.mutate(v)} />
          </div>
        ) : null}
        <Table
          head={["Cluster", "Region / environment", "CNI and capabilities", "Current release", "Last contact", "Drift", "Oldest drift"]}
          empty={clusters.data?.length === 0 ? <p className="px-3 py-4 text-sm text-slate-500">No cluster is registered yet.</p> : null}
        >
          {(clusters.data ?? []).map((c) => (
            <tr key={c.id} data-testid="cluster-row" className={c.retiredAt ? "opacity-60" : undefined}>
              <Td className="font-medium text-slate-900">
                <Link href={`/clusters/${c.name}`} className="text-brand-700 hover:underline">
                  {c.name}
                </Link>
                {c.retiredAt ? <div className="text-xs font-normal text-slate-500">retired</div> : null}
              </Td>
              <Td>
                {c.region} <Badge tone={c.environment === "production" ? "violet" : "blue"}>{c.environment}</Badge>
                <div className="mt-1 text-xs text-slate-500">
                  {c.namespaces} namespaces, {c.workloads} workloads
                </div>
                <div className="mt-1 flex flex-wrap gap-1">
                  {Object.entries(c.labels).map(([k, v]) => (
                    <Badge key={k}>
                      {k}={v}
                    </Badge>
                  ))}
                </div>
              </Td>
              <Td className="text-xs">
                <div>{c.cni ? CNI_LABELS[c.cni] : <span className="text-slate-400">CNI not known</span>}</div>
                <div>{POLICY_API_LABELS[c.policyApi]}</div>
                <div>{c.istio ? "Istio" : <span className="text-slate-400">no Istio</span>}</div>
              </Td>
              <Td className="text-xs">
                {c.currentRelease ? (
                  <>
                    <Link href={`/releases/${c.currentRelease.number}`} className="text-brand-700 hover:underline">
                      release {c.currentRelease.number}
                    </Link>{" "}
                    <Badge tone={c.currentRelease.status === "applied" ? "green" : "amber"}>{c.currentRelease.status}</Badge>
                  </>
                ) : (
                  <span className="text-slate-400">none rolled out</span>
                )}
                {c.latestRollout ? (
                  <div className="mt-1">
                    release {c.latestRollout.number}: {c.latestRollout.status} (wave {c.latestRollout.wave})
                  </div>
                ) : null}
              </Td>
              <Td className="text-xs">{c.lastContactAt ? ago(c.lastContactAt, now) : <span className="text-slate-400">never</span>}</Td>
              <Td>
                {c.observedAt === null ? (
                  <span className="text-xs text-slate-400">no observed state</span>
                ) : c.drift.total === 0 ? (
                  <Badge tone="green">in sync</Badge>
                ) : (
                  <Link href={`/clusters/${c.name}`} className="hover:underline">
                    <Badge tone="red">{c.drift.total} drift</Badge>
                    <div className="mt-1 text-xs text-slate-600">
                      {c.drift.missing} missing, {c.drift.unmanaged} unmanaged, {c.drift.modified} modified
                    </div>
                  </Link>
                )}
              </Td>
              <Td className="text-xs">{c.drift.oldest ? ago(c.drift.oldest, now) : "—"}</Td>
            </tr>
          ))}
        </Table>
      </Card>
    </div>
  );
}
