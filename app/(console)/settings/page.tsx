import type { Metadata } from "next";
import { SettingsPanel } from "@/components/settings/settings-panel";
import { PageHeader } from "@/components/ui/primitives";

export const metadata: Metadata = { title: "Settings" };

export default function SettingsPage() {
  return (
    <>
      <PageHeader title="Settings" description="The platform default every cluster enforces, people, their roles and the machine tokens that call the API. Every change here is written to the audit trail." />
      <SettingsPanel />
    </>
  );
}
