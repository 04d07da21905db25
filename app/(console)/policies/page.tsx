import type { Metadata } from "next";
import Link from "next/link";
import { PolicyList } from "@/components/policies/policy-list";
import { ProposeChangeButton } from "@/components/policies/propose-change";
import { PageHeader } from "@/components/ui/primitives";

export const metadata: Metadata = { title: "Policies" };

const linkButton = "inline-flex items-center rounded-lg px-3 py-1.5 text-sm font-medium";

export default function PoliciesPage() {
  return (
    <>
      <PageHeader
        title="Policies"
        description="Every policy and compliance constraint, by tier and tenant. Edits are saved as drafts; nothing reaches a release without a change request."
        actions={
          <>
            <Link href="/policies/templates" className={`${linkButton} bg-white text-slate-800 ring-1 ring-inset ring-slate-300 hover:bg-slate-50`}>
              Templates
            </Link>
            <Link href="/policies/new" className={`${linkButton} bg-white text-slate-800 ring-1 ring-inset ring-slate-300 hover:bg-slate-50`}>
              New policy
            </Link>
            <ProposeChangeButton />
          </>
        }
      />
      <PolicyList />
    </>
  );
}
