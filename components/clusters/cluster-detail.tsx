"use client";

// One cluster: its drift (each with its field diff and both objects), observed-state upload,
// the desired manifests to download (remediation), and for admins edit and retire.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type ChangeEvent, type FormEvent, type ReactNode } from "react";
import { stringify } from "yaml";
import { ADMIN_POLICY_API_LABELS, DRIFT_LABELS, POLICY_API_LABELS, CNI_LABELS, type DriftType } from "@/lib/clusters";
import { useTRPC } from "@/components/trpc/client";
import { describeError } from "@/components/trpc/errors";
import { Badge, Button, Card, Notice, Table, Td } from "@/components/ui/primitives";
import { ClusterForm } from "./cluster-form";
import { DriftTrend } from "./drift-trend";
import { ClusterWebhook } from "./cluster-webhook";
import { ago } from "./time";

const TONE: Record<DriftType, "red" | "amber" | "violet"> = { missing: "amber", unmanaged: "red", modified: "violet" };
const show = (v: unknown) => (v === null || v === undefined ? "—" : typeof v === "string" ? v : JSON.stringify(v));

export function ClusterDetail({ name, admin }: { name: string; admin: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const overview = useQuery(trpc.clusters.overview.queryOptions());
  const drift = useQuery(trpc.clusters.drift.queryOptions({ name }));
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.clusters.overview.queryKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.clusters.drift.queryKey({ name }) }),
      queryClient.invalidateQueries({ queryKey: trpc.clusters.driftTrend.queryKey() }),
    ]);
  const upload = useMutation(trpc.clusters.uploadObserved.mutationOptions({ onSuccess: refresh }));
  const edit = useMutation(trpc.clusters.edit.mutationOptions({ onSuccess: () => refresh().then(() => setEditing(false)) }));
  const retire = useMutation(trpc.clusters.retire.mutationOptions({ onSuccess: refresh }));
  const adopt = useMutation(trpc.clusters.adoptDrift.mutationOptions());
  const importAll = useMutation(trpc.clusters.importCluster.mutationOptions());
  const [editing, setEditing] = useState(false);
  const [yaml, setYaml] = useState("");
  const [open, setOpen] = useState<string | null>(null);
  const cluster = overview.data?.find((c) => c.name === name);
  const now = Date.now();

  const chooseFile = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    if (file) setYaml(await file.text());
  };
  const submitUpload = (e: FormEvent) => {
    e.preventDefault();
    upload.mutate({ name, yaml });
  };

  return (
    <div className="space-y-6">
      {cluster ? (
        <Card
          title="Cluster"
          actions={
            admin && !cluster.retiredAt ? (
              <div className="flex gap-2">
                <Button variant="secondary" onClick={() => setEditing((v) => !v)}>
                  {editing ? "Cancel" : "Edit"}
                </Button>
                <Button
                  variant="danger"
                  disabled={retire.isPending}
                  onClick={() => {
                    if (window.confirm(`Retire ${name}? No new rollout will plan it and it takes no more observed state.`))
                      retire.mutate({ name });
                  }}
                >
                  Retire
                </Button>
              </div>
            ) : null
          }
        >
          {retire.error ? <Notice tone="error">{describeError(retire.error).message}</Notice> : null}
          {editing ? (
            <ClusterForm
              initial={{
                name,
                region: cluster.region,
                environment: cluster.environment,
                labels: cluster.labels,
                cni: cluster.cni,
                policyApi: cluster.policyApi,
                istio: cluster.istio,
              }}
              submitLabel="Save"
              pending={edit.isPending}
              error={edit.error}
              onSubmit={(v) => edit.mutate(v)}
            />
          ) : (
            <dl className="grid grid-cols-4 gap-3 text-sm">
              <Item label="Region / environment">
                {cluster.region}, {cluster.environment}
              </Item>
              <Item label="Capabilities">
                {cluster.cni ? CNI_LABELS[cluster.cni] : "CNI not known"}; {POLICY_API_LABELS[cluster.policyApi]}
                {cluster.istio ? "; Istio" : ""}
                {cluster.adminPolicyApi ? `; ${ADMIN_POLICY_API_LABELS[cluster.adminPolicyApi]}` : ""}
                {cluster.capabilitiesReportedAt ? (
                  <span className="block text-xs text-slate-500">reported by the agent {ago(cluster.capabilitiesReportedAt, now)}</span>
                ) : null}
              </Item>
              <Item label="Current release">
                {cluster.currentRelease ? `release ${cluster.currentRelease.number} (${cluster.currentRelease.status})` : "none rolled out"}
              </Item>
              <Item label="Last contact">
                {cluster.retiredAt ? `retired ${ago(cluster.retiredAt, now)}; ` : ""}
                {cluster.lastContactAt ? ago(cluster.lastContactAt, now) : "never"}
              </Item>
            </dl>
          )}
        </Card>
      ) : null}

      <ClusterWebhook name={name} admin={admin} />

      <Card
        title="Drift"
        actions={
          <a href={`/api/v1/clusters/${name}/desired`} className="text-sm text-brand-700 hover:underline" download>
            Download desired manifests
          </a>
        }
      >
        {drift.error ? <Notice tone="error">{describeError(drift.error).message}</Notice> : null}
        {drift.data && !drift.data.observed ? (
          <p className="text-sm text-slate-500">
            No observed state yet: upload what <code>kubectl get networkpolicies,adminnetworkpolicies,… -A -o yaml</code> prints, or let the
            agent push it.
          </p>
        ) : null}
        {drift.data?.observed ? (
          <p className="mb-3 text-sm text-slate-600" data-testid="observed-summary">
            {drift.data.observed.objects} objects observed {ago(drift.data.observed.uploadedAt, now)} ({drift.data.observed.source} by{" "}
            {drift.data.observed.uploadedBy}), compared with{" "}
            {drift.data.observed.release === null ? "no release (nothing is desired yet)" : `release ${drift.data.observed.release}`}.
            {drift.data.observed.rejected.length > 0 ? ` ${drift.data.observed.rejected.length} object(s) were rejected (below).` : ""}{" "}
            <Button variant="ghost" disabled={importAll.isPending} onClick={() => importAll.mutate({ name })}>
              Import its network policies (NetworkPolicies, Cilium, AdminNetworkPolicies, BaselineAdminNetworkPolicy) as policies
            </Button>
          </p>
        ) : null}
        {importAll.error ? <Notice tone="error">{describeError(importAll.error).message}</Notice> : null}
        {importAll.data ? (
          <Notice tone={importAll.data.notImported.length > 0 ? "warning" : "success"}>
            Proposed {importAll.data.policies.length} policies as{" "}
            <a className="underline" href={`/changes/${importAll.data.number}`}>
              change #{importAll.data.number}
            </a>{" "}
            (draft)
            {importAll.data.notImported.length > 0
              ? `; not imported: ${importAll.data.notImported.map((n) => `${n.object} (${n.reason})`).join("; ")}`
              : ""}
            .
          </Notice>
        ) : null}
        {drift.data?.observed ? (
          <Table
            head={["Drift", "Kind", "Namespace", "Name", "Effect", "Since", ""]}
            empty={drift.data.drifts.length === 0 ? <p className="px-3 py-4 text-sm text-emerald-700">In sync: no drift.</p> : null}
          >
            {drift.data.drifts.flatMap((d) => {
              const rows = [
                <tr key={d.id} data-testid="drift-row">
                  <Td>
                    <Badge tone={TONE[d.type]}>{d.type}</Badge>
                  </Td>
                  <Td>{d.kind}</Td>
                  <Td>{d.namespace ?? "(cluster)"}</Td>
                  <Td className="font-medium text-slate-900">{d.name}</Td>
                  <Td className="text-xs">
                    {d.effect === null ? (
                      <span className="text-slate-400">not computed</span>
                    ) : d.effect.openedCount + d.effect.closedCount === 0 ? (
                      <span className="text-slate-500">no path changes</span>
                    ) : (
                      <>
                        {d.effect.openedCount > 0 ? <Badge tone="red">opens {d.effect.openedCount}</Badge> : null}{" "}
                        {d.effect.closedCount > 0 ? <Badge tone="amber">closes {d.effect.closedCount}</Badge> : null}
                      </>
                    )}
                  </Td>
                  <Td className="text-xs">{ago(d.firstSeenAt, now)}</Td>
                  <Td>
                    <Button variant="ghost" onClick={() => setOpen(open === d.id ? null : d.id)} aria-expanded={open === d.id}>
                      {open === d.id ? "Hide" : "Details"}
                    </Button>
                  </Td>
                </tr>,
              ];
              if (open === d.id)
                rows.push(
                  <tr key={`${d.id}-detail`}>
                    <td colSpan={7} className="bg-slate-50 px-3 py-3" data-testid="drift-detail">
                      <p className="mb-2 text-xs text-slate-600">{DRIFT_LABELS[d.type]}</p>
                      {d.observed ? (
                        <div className="mb-3 flex items-center gap-3 text-xs">
                          <Button
                            variant="secondary"
                            disabled={adopt.isPending}
                            onClick={() => adopt.mutate({ name, driftId: d.id })}
                            title="Propose the object as the cluster runs it as a Policyplane policy, in a draft change request"
                          >
                            Adopt into a change request
                          </Button>
                          {adopt.variables?.driftId === d.id && adopt.error ? (
                            <span className="text-rose-700" role="alert">
                              {describeError(adopt.error).message}
                            </span>
                          ) : null}
                          {adopt.variables?.driftId === d.id && adopt.data ? (
                            <span data-testid="adopted">
                              Proposed as{" "}
                              <a className="text-brand-700 hover:underline" href={`/changes/${adopt.data.number}`}>
                                change #{adopt.data.number}
                              </a>{" "}
                              (draft: {adopt.data.policies.join(", ")})
                            </span>
                          ) : null}
                        </div>
                      ) : null}
                      {d.effect && d.effect.openedCount + d.effect.closedCount > 0 ? (
                        <div className="mb-3 grid grid-cols-2 gap-3 text-xs" data-testid="drift-effect">
                          <PathList
                            title={`Paths it opens (${d.effect.openedCount})`}
                            paths={d.effect.opened}
                            more={d.effect.openedCount}
                          />
                          <PathList
                            title={`Paths it closes (${d.effect.closedCount})`}
                            paths={d.effect.closed}
                            more={d.effect.closedCount}
                          />
                        </div>
                      ) : null}
                      {d.diff.length > 0 ? (
                        <table className="mb-3 w-full text-left text-xs">
                          <thead>
                            <tr className="text-slate-500">
                              <th className="py-1 pr-3 font-medium">Field</th>
                              <th className="py-1 pr-3 font-medium">Desired</th>
                              <th className="py-1 font-medium">Observed</th>
                            </tr>
                          </thead>
                          <tbody>
                            {d.diff.map((f) => (
                              <tr key={f.path} data-testid="field-diff" className="border-t border-slate-200 align-top">
                                <td className="py-1 pr-3 font-mono">{f.path}</td>
                                <td className="py-1 pr-3 font-mono text-emerald-800">{show(f.desired)}</td>
                                <td className="py-1 font-mono text-rose-800">{show(f.observed)}</td>
                              </tr>
                            ))}
                          </tbody>
                        </table>
                      ) : null}
                      <div className="grid grid-cols-2 gap-3">
                        <Manifest title="Desired" object={d.desired} />
                        <Manifest title="Observed (server-set fields left out)" object={d.observed} />
                      </div>
                    </td>
                  </tr>,
                );
              return rows;
            })}
          </Table>
        ) : null}
        {drift.data?.observed && drift.data.observed.rejected.length > 0 ? (
          <div className="mt-4">
            <h3 className="mb-1 text-sm font-semibold text-slate-900">Rejected objects of the last upload</h3>
            <ul className="list-disc pl-5 text-xs text-slate-700" data-testid="rejected">
              {drift.data.observed.rejected.map((r, i) => (
                <li key={i}>
                  {r.index === null ? `line ${r.line}` : `object ${r.index} in the list (line ${r.line})`}: {r.message}
                </li>
              ))}
            </ul>
          </div>
        ) : null}
      </Card>

      <DriftTrend name={name} />

      {admin && !cluster?.retiredAt ? (
        <Card title="Upload observed state">
          <form onSubmit={submitUpload} className="space-y-3" aria-label="Upload observed state">
            <p className="text-sm text-slate-600">
              Paste or choose the output of{" "}
              <code>kubectl get networkpolicies,adminnetworkpolicies,baselineadminnetworkpolicies,ciliumnetworkpolicies -A -o yaml</code>{" "}
              for this cluster. It replaces the last observed state; the drift is computed against the cluster&apos;s release.
            </p>
            {upload.error ? <Notice tone="error">{describeError(upload.error).message}</Notice> : null}
            {upload.data ? (
              <Notice tone={upload.data.rejectedCount > 0 ? "warning" : "success"}>
                Kept {upload.data.kept} objects
                {upload.data.rejectedCount > 0 ? `, rejected ${upload.data.rejectedCount}` : ""}; drift: {upload.data.drift.missing}{" "}
                missing, {upload.data.drift.unmanaged} unmanaged, {upload.data.drift.modified} modified.
              </Notice>
            ) : null}
            <input
              type="file"
              accept=".yaml,.yml,.json,text/yaml,application/json"
              onChange={chooseFile}
              aria-label="Observed state file"
            />
            <textarea
              aria-label="Observed state YAML"
              value={yaml}
              onChange={(e) => setYaml(e.target.value)}
              rows={8}
              className="block w-full rounded-lg border border-slate-300 p-2 font-mono text-xs"
              placeholder="apiVersion: v1&#10;kind: List&#10;items: …"
            />
            <Button type="submit" disabled={upload.isPending || yaml.trim() === ""}>
              {upload.isPending ? "Uploading…" : "Upload"}
            </Button>
          </form>
        </Card>
      ) : null}
    </div>
  );
}

function Item({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <dt className="text-xs text-slate-500">{label}</dt>
      <dd className="text-slate-900">{children}</dd>
    </div>
  );
}

function PathList({ title, paths, more }: { title: string; paths: string[]; more: number }) {
  return (
    <div>
      <div className="mb-1 font-medium text-slate-600">{title}</div>
      {paths.length === 0 ? (
        <p className="text-slate-400">none</p>
      ) : (
        <ul className="space-y-0.5 font-mono">
          {paths.map((p) => (
            <li key={p}>{p}</li>
          ))}
          {more > paths.length ? <li className="text-slate-500">and {more - paths.length} more</li> : null}
        </ul>
      )}
    </div>
  );
}

function Manifest({ title, object }: { title: string; object: unknown }) {
  return (
    <div>
      <div className="mb-1 text-xs font-medium text-slate-600">{title}</div>
      <pre className="max-h-80 overflow-auto rounded border border-slate-200 bg-white p-2 text-xs">
        {object ? stringify(object, { lineWidth: 0 }) : "(none)"}
      </pre>
    </div>
  );
}
