import type { Metadata } from "next";
import { GraphScreen } from "@/components/graph/graph-screen";
import { PageHeader } from "@/components/ui/primitives";

export const metadata: Metadata = { title: "Graph" };

const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v) ?? null;

export default async function GraphPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = await searchParams;
  const overlay = one(params.overlay);
  return (
    <>
      <PageHeader
        title="Graph"
        description={
          overlay
            ? "Allowed app-to-service paths with the proposed change overlaid: green paths are added, red paths removed, against the current release."
            : "Allowed app-to-service paths in the current release, computed by the policy engine (secure by default)."
        }
      />
      <GraphScreen cluster={one(params.cluster)} overlay={overlay} focus={one(params.focus)} />
    </>
  );
}
