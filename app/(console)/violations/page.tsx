import type { Metadata } from "next";
import { Suspense } from "react";
import { PageHeader } from "@/components/ui/primitives";
import { ViolationsTabs } from "@/components/violations/tabs";
import { ViolationsDashboard } from "@/components/violations/violations-dashboard";

export const metadata: Metadata = { title: "Violations" };

export default function ViolationsPage() {
  return (
    <>
      <PageHeader
        title="Violations"
        description="Traffic the clusters report, decided by the engine against the current release: what was dropped (violations), what only an exception allowed (near-misses) and what was forwarded although the release denies it (enforcement gaps)."
      />
      <ViolationsTabs current="/violations" />
      <Suspense fallback={<p className="text-sm text-slate-500">Loading…</p>}>
        <ViolationsDashboard />
      </Suspense>
    </>
  );
}
