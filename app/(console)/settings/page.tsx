import type { Metadata } from "next";
import Link from "next/link";
import { ApprovalRulesSection } from "@/components/settings/approval-rules";
import { ExceptionRulesSection } from "@/components/settings/exception-rules";
import { LinkSsoAccount } from "@/components/settings/link-sso";
import { SettingsPanel } from "@/components/settings/settings-panel";
import { WebhookSettings } from "@/components/settings/webhook-settings";
import { PageHeader } from "@/components/ui/primitives";
import { getRuntime } from "@/server/runtime";
import { serverCaller } from "@/server/trpc/server";

export const metadata: Metadata = { title: "Settings" };

export default async function SettingsPage() {
  const runtime = await getRuntime();
  const sso = runtime.env.OIDC_DISCOVERY_URL ? { id: runtime.env.OIDC_PROVIDER_ID, name: runtime.env.OIDC_PROVIDER_NAME } : null;
  const me = sso ? await (await serverCaller()).org.me() : null;
  return (
    <>
      <PageHeader
        title="Settings"
        description="The platform default every cluster enforces, people, their roles and the machine tokens that call the API. Every change here is written to the audit trail."
        actions={
          <div className="flex gap-4">
            <Link href="/settings/decisions" className="text-sm text-brand-700 hover:underline">
              Decision log
            </Link>
            <Link href="/settings/api" className="text-sm text-brand-700 hover:underline">
              API reference
            </Link>
          </div>
        }
      />
      <div className="space-y-8">
        {sso && me ? <LinkSsoAccount sso={sso} linked={me.signInMethods.includes(sso.id)} /> : null}
        <SettingsPanel />
        <ApprovalRulesSection />
        <ExceptionRulesSection />
        <WebhookSettings />
      </div>
    </>
  );
}
