import type { Metadata } from "next";
import Link from "next/link";
import { egressAllowPolicy, blankPolicy, parseEndpoint } from "@/components/policies/form-model";
import { PolicyEditor } from "@/components/policies/policy-editor";
import { TemplateForm } from "@/components/policies/template-form";
import { Notice, PageHeader } from "@/components/ui/primitives";
import { documentToYaml } from "@/lib/policy-yaml";
import { serverCaller } from "@/server/trpc/server";

export const metadata: Metadata = { title: "New policy" };

type Search = { template?: string; from?: string; to?: string };

export default async function NewPolicyPage({ searchParams }: { searchParams: Promise<Search> }) {
  const { template, from, to } = await searchParams;
  const api = await serverCaller();
  const me = await api.org.me();
  const authorTenant = me.grants.find((g) => g.role !== "viewer" && g.tenantName)?.tenantName ?? null;
  const mayDraft = me.mayDraft;

  if (template) {
    const found = (await api.policies.templates()).find((t) => t.id === template);
    return (
      <>
        <PageHeader
          title="New policy from a template"
          description={
            <Link href="/policies/templates" className="text-brand-700 hover:underline">
              All templates
            </Link>
          }
        />
        {!found ? (
          <Notice tone="error">There is no template named “{template}”.</Notice>
        ) : mayDraft ? (
          <TemplateForm template={found} tenant={authorTenant} />
        ) : (
          <Notice>Read only: creating a draft from a template needs the author role.</Notice>
        )}
      </>
    );
  }

  let start = blankPolicy(authorTenant);
  let note: string | null = null;
  const source = parseEndpoint(from);
  const dest = parseEndpoint(to);
  // A link from the graph names a path, or only its source (the destination is then chosen here).
  const usable = source !== null && "namespace" in source && (to === undefined || dest !== null);
  if (from || to) {
    if (usable) {
      const inventory = await api.policies.inventory();
      start = egressAllowPolicy(source, dest, inventory.namespaceTenants[source.namespace] ?? null);
      note = dest
        ? "Drafted from the graph: fill in the ports of the new egress rule, then save."
        : `Drafted from the graph for ${from}: add the destination of its egress rule (+ Workloads, + Service, + DNS name …) and its ports, then save.`;
    } else
      note = `The link did not name a path: from must be <namespace>/<workload>, and to (optional) <namespace>/<workload> or dns:<name> (got from=${from ?? ""}, to=${to ?? ""}).`;
  }
  return (
    <>
      <PageHeader title="New policy" description="Start blank, from a path drawn on the graph, or from a template." />
      {note ? (
        <div className="mb-4">
          <Notice tone={usable ? "info" : "error"}>{note}</Notice>
        </div>
      ) : null}
      <PolicyEditor start={{ name: null, yaml: documentToYaml(start), baseVersion: null, releasedVersion: null, mayDraft }} />
    </>
  );
}
