import type { Metadata } from "next";
import { ClusterList } from "@/components/clusters/cluster-list";
import { PageHeader } from "@/components/ui/primitives";
import { serverCaller } from "@/server/trpc/server";

export const metadata: Metadata = { title: "Clusters" };

export default async function ClustersPage() {
  const me = await (await serverCaller()).org.me();
  // Offered to admins only; the server refuses anyone else anyway.
  const admin = me.grants.some((g) => g.role === "admin" && g.tenantId === null);
  return (
    <>
      <PageHeader
        title="Clusters"
        description="Each cluster's capabilities, the release it runs, when it last reported its observed state, and how that differs from what its release renders for it (drift)."
      />
      <ClusterList admin={admin} />
    </>
  );
}
