import type { Metadata } from "next";
import Link from "next/link";
import { PolicyList } from "@/components/policies/policy-list";
import { ProposeChangeButton } from "@/components/policies/propose-change";
import { PageHeader } from "@/components/ui/primitives";
import { serverCaller } from "@/server/trpc/server";

export const metadata: Metadata = { title: "Policies" };

const linkButton = "inline-flex items-center rounded-lg px-3 py-1.5 text-sm font-medium";

export default async function PoliciesPage() {
  // Only what the role can do is offered (the server refuses the rest anyway).
  const { mayDraft } = await (await serverCaller()).org.me();
  return (
    <>
      <PageHeader
        title="Policies"
        description="Every policy and compliance constraint, by tier and tenant. Edits are saved as drafts; nothing reaches a release without a change request."
        actions={
          <>
            <Link
              href="/policies/templates"
              className={`${linkButton} bg-white text-slate-800 ring-1 ring-inset ring-slate-300 hover:bg-slate-50`}
            >
              Templates
            </Link>
            {mayDraft ? (
              <>
                <Link
                  href="/policies/new"
                  className={`${linkButton} bg-white text-slate-800 ring-1 ring-inset ring-slate-300 hover:bg-slate-50`}
                >
                  New policy
                </Link>
                <ProposeChangeButton />
              </>
            ) : (
              <span className="self-center text-xs text-slate-500" data-testid="read-only-note">
                Read only: drafting and proposing need the author role.
              </span>
            )}
          </>
        }
      />
      <PolicyList />
    </>
  );
}
