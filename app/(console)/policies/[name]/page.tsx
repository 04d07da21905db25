import { TRPCError } from "@trpc/server";
import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { PolicyEditor } from "@/components/policies/policy-editor";
import { PageHeader } from "@/components/ui/primitives";
import { serverCaller } from "@/server/trpc/server";

export async function generateMetadata({ params }: { params: Promise<{ name: string }> }): Promise<Metadata> {
  return { title: `Policy ${(await params).name}` };
}

export default async function PolicyPage({ params }: { params: Promise<{ name: string }> }) {
  const name = (await params).name;
  const api = await serverCaller();
  const found = await api.policies.get({ name }).catch((error: unknown) => {
    if (error instanceof TRPCError && error.code === "NOT_FOUND") return null;
    throw error;
  });
  if (!found) notFound();
  const latest = found.versions.at(-1)!;
  const { policy } = found;
  return (
    <>
      <PageHeader
        title={policy.name}
        description={
          <>
            {policy.kind === "ComplianceConstraint" ? "Compliance constraint" : `${policy.tier} tier`}
            {policy.tenant ? ` · tenant ${policy.tenant}` : ""} · owner {policy.owner} · {policy.description}{" "}
            <Link href="/policies" className="text-brand-700 hover:underline">
              All policies
            </Link>
          </>
        }
      />
      <PolicyEditor
        start={{
          name: policy.name,
          yaml: latest.yaml,
          baseVersion: latest.version,
          releasedVersion: policy.releasedVersion,
          mayDraft: found.mayDraft,
        }}
      />
    </>
  );
}
