import type { Metadata } from "next";
import { PageHeader } from "@/components/ui/primitives";
import { AlertsScreen } from "@/components/violations/alerts-screen";
import { ViolationsTabs } from "@/components/violations/tabs";

export const metadata: Metadata = { title: "Alerts · Violations" };

export default function AlertsPage() {
  return (
    <>
      <PageHeader
        title="Violations"
        description="Alerts on observed traffic: rules evaluated against the flow aggregates every few seconds, delivered in the console (admins, security approvers) and to the outgoing webhook unless a silence matches."
      />
      <ViolationsTabs current="/violations/alerts" />
      <AlertsScreen />
    </>
  );
}
