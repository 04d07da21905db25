import { TRPCError } from "@trpc/server";
import type { Metadata } from "next";
import { GraphScreen } from "@/components/graph/graph-screen";
import { PageHeader } from "@/components/ui/primitives";
import { serverCaller } from "@/server/trpc/server";

export const metadata: Metadata = { title: "Graph" };

const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v) ?? null;

export default async function GraphPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = await searchParams;
  const overlay = one(params.overlay);
  const cluster = one(params.cluster);
  const api = await serverCaller();
  // The view comes with the page, so the graph does not wait for a round trip after hydration.
  // A refusal (unknown cluster, bad overlay) is left to the screen's own query, which shows it.
  const initialView = await api.graph.view({ ...(cluster ? { cluster } : {}), ...(overlay ? { overlay } : {}) }).catch((error: unknown) => {
    if (error instanceof TRPCError) return null;
    throw error;
  });
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
      <GraphScreen cluster={cluster} overlay={overlay} initialView={initialView} />
    </>
  );
}
