import { PageHeader } from "@/components/ui/primitives";

// Shown while the page computes the view on the server (a cold overlay or "all clusters" can take a moment).
export default function GraphLoading() {
  return (
    <>
      <PageHeader title="Graph" description="Allowed app-to-service paths, computed by the policy engine." />
      <div className="rounded-xl border border-slate-200 bg-white p-6 text-sm text-slate-500 shadow-sm" role="status">
        Computing allowed paths with the policy engine…
      </div>
    </>
  );
}
