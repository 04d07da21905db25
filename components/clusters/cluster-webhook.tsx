"use client";

// A cluster's admission webhook: its mode (enforce / warn / off), the serving certificate with its
// expiry warning, and for admins: generate or rotate the certificate, download its Secret (the key;
// audited) and the ValidatingWebhookConfiguration, with failurePolicy and timeoutSeconds explained.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { ADMISSION_MODE_LABELS, ADMISSION_MODES, CERT_WARNING_DAYS, type AdmissionMode } from "@/lib/machines";
import { useTRPC } from "@/components/trpc/client";
import { describeError } from "@/components/trpc/errors";
import { downloadBlob } from "@/components/ui/download";
import { Badge, Button, Card, Field, Input, Notice, Select } from "@/components/ui/primitives";

const day = (d: Date | string) => new Date(d).toISOString().slice(0, 10);
const yamlFile = (name: string, text: string) => downloadBlob(name, new Blob([text], { type: "application/yaml" }));

export function ClusterWebhook({ name, admin }: { name: string; admin: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const status = useQuery(trpc.clusters.webhook.queryOptions({ name }));
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.clusters.webhook.queryKey({ name }) });
  const setMode = useMutation(trpc.clusters.setAdmissionMode.mutationOptions({ onSuccess: refresh }));
  const issue = useMutation(trpc.clusters.issueWebhookCertificate.mutationOptions({ onSuccess: refresh }));
  const secret = useMutation(
    trpc.clusters.downloadWebhookSecret.mutationOptions({
      onSuccess: (r) => {
        yamlFile(`policyplane-webhook-tls-${name}.yaml`, r.yaml);
        return refresh();
      },
    }),
  );
  const [service, setService] = useState("policyplane-webhook");
  const [namespace, setNamespace] = useState("policyplane");
  const [failurePolicy, setFailurePolicy] = useState<"Fail" | "Ignore">("Fail");
  const [timeoutSeconds, setTimeoutSeconds] = useState(5);
  const config = useQuery({
    ...trpc.clusters.webhookConfiguration.queryOptions({ name, failurePolicy, timeoutSeconds }),
    enabled: false,
  });
  const data = status.data;
  const cert = data?.certificate ?? null;
  const error = setMode.error ?? issue.error ?? secret.error ?? config.error;

  return (
    <Card title="Admission webhook" id="webhook">
      {status.error ? <Notice tone="error">{describeError(status.error).message}</Notice> : null}
      {error ? <Notice tone="error">{describeError(error).message}</Notice> : null}
      {data ? (
        <div className="space-y-4 text-sm" data-testid="cluster-webhook">
          <div className="flex flex-wrap items-end gap-4">
            <Field
              label="Mode"
              hint={
                data.modeUpdatedBy
                  ? `set by ${data.modeUpdatedBy} on ${day(data.modeUpdatedAt!)}`
                  : "never changed (enforce is the default)"
              }
            >
              {admin ? (
                <Select
                  aria-label="Admission mode"
                  value={data.mode}
                  disabled={setMode.isPending}
                  onChange={(e) => setMode.mutate({ name, mode: e.target.value as AdmissionMode })}
                >
                  {ADMISSION_MODES.map((m) => (
                    <option key={m} value={m}>
                      {ADMISSION_MODE_LABELS[m]}
                    </option>
                  ))}
                </Select>
              ) : (
                <span data-testid="admission-mode">{ADMISSION_MODE_LABELS[data.mode]}</span>
              )}
            </Field>
            <p className="text-slate-600">
              The API server calls <code>POST {data.path}</code> with a token that has the <code>decide</code> scope.
            </p>
          </div>

          {data.warning ? (
            <Notice tone={data.warning.level === "not-applied" ? "warning" : "error"}>
              <span data-testid="certificate-warning">{data.warning.message}</span>
            </Notice>
          ) : null}

          {cert ? (
            <dl className="grid grid-cols-4 gap-3" data-testid="webhook-certificate">
              <div>
                <dt className="text-xs text-slate-500">Serving certificate</dt>
                <dd>
                  {cert.dnsNames[0]} <Badge tone="slate">serial {cert.serial.slice(0, 8)}…</Badge>
                </dd>
              </div>
              <div>
                <dt className="text-xs text-slate-500">Valid</dt>
                <dd>
                  {day(cert.notBefore)} to {day(cert.notAfter)}
                </dd>
              </div>
              <div>
                <dt className="text-xs text-slate-500">CA (caBundle) valid until</dt>
                <dd>{day(cert.caNotAfter)}</dd>
              </div>
              <div>
                <dt className="text-xs text-slate-500">Issued</dt>
                <dd>
                  {day(cert.createdAt)} by {cert.createdBy}
                  {cert.downloadedAt ? `; Secret downloaded ${day(cert.downloadedAt)}` : "; Secret not downloaded yet"}
                </dd>
              </div>
            </dl>
          ) : (
            <p className="text-slate-500">No serving certificate yet.</p>
          )}
          <p className="text-xs text-slate-500">
            Certificates are rotated automatically {CERT_WARNING_DAYS} days before they expire, from the same CA, so the caBundle in the
            cluster stays valid; the new Secret must then be applied in the cluster. A warning shows here from {CERT_WARNING_DAYS} days
            ahead.
          </p>

          {admin ? (
            <div className="space-y-4 border-t border-slate-100 pt-4">
              <div className="flex flex-wrap items-end gap-3">
                <Field label="Service" hint="the Service in front of the decision point">
                  <Input value={service} onChange={(e) => setService(e.target.value)} disabled={cert !== null} />
                </Field>
                <Field label="Namespace">
                  <Input value={namespace} onChange={(e) => setNamespace(e.target.value)} disabled={cert !== null} />
                </Field>
                <Button
                  disabled={issue.isPending}
                  onClick={() =>
                    issue.mutate(cert ? { name, service: cert.service, namespace: cert.namespace } : { name, service, namespace })
                  }
                >
                  {cert ? "Rotate certificate" : "Generate certificate"}
                </Button>
                {cert ? (
                  <Button variant="secondary" disabled={secret.isPending} onClick={() => secret.mutate({ name })}>
                    Download Secret (certificate + key)
                  </Button>
                ) : null}
              </div>
              {cert ? (
                <div className="flex flex-wrap items-end gap-3">
                  <Field label="failurePolicy">
                    <Select
                      aria-label="failurePolicy"
                      value={failurePolicy}
                      onChange={(e) => setFailurePolicy(e.target.value as "Fail" | "Ignore")}
                    >
                      <option value="Fail">Fail</option>
                      <option value="Ignore">Ignore</option>
                    </Select>
                  </Field>
                  <Field label="timeoutSeconds (1-30)">
                    <Input
                      type="number"
                      min={1}
                      max={30}
                      value={timeoutSeconds}
                      onChange={(e) => setTimeoutSeconds(Number(e.target.value))}
                    />
                  </Field>
                  <Button
                    variant="secondary"
                    onClick={async () => {
                      const r = await config.refetch();
                      if (r.data) yamlFile(`policyplane-webhook-${name}.yaml`, r.data.yaml);
                    }}
                  >
                    Download ValidatingWebhookConfiguration
                  </Button>
                </div>
              ) : null}
              <ul className="list-disc space-y-1 pl-5 text-xs text-slate-600">
                <li>
                  <b>failurePolicy Fail</b>: if the webhook cannot be reached or answers too late, the API server refuses the object. The
                  rules always hold, but an outage of the decision point blocks deployments. <b>Ignore</b> admits the object unchecked
                  instead: deployments go on, and the rules are skipped while the webhook is down.
                </li>
                <li>
                  <b>timeoutSeconds</b>: how long the API server waits for an answer (Kubernetes allows 1 to 30). Each call adds up to this
                  to the client&apos;s request; after it the failurePolicy applies. A few seconds suffice: answers take milliseconds.
                </li>
                <li>The webhook&apos;s own namespace and kube-system are never judged, so a broken webhook cannot block its own repair.</li>
              </ul>
            </div>
          ) : null}
        </div>
      ) : null}
    </Card>
  );
}
