import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { ClusterDetail } from "@/components/clusters/cluster-detail";
import { PageHeader } from "@/components/ui/primitives";
import { serverCaller } from "@/server/trpc/server";

export async function generateMetadata({ params }: { params: Promise<{ name: string }> }): Promise<Metadata> {
  return { title: `Cluster ${(await params).name}` };
}

export default async function ClusterPage({ params }: { params: Promise<{ name: string }> }) {
  const name = (await params).name;
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name)) notFound();
  const api = await serverCaller();
  const clusters = await api.clusters.overview();
  if (!clusters.some((c) => c.name === name)) notFound();
  const me = await api.org.me();
  const admin = me.grants.some((g) => g.role === "admin" && g.tenantId === null);
  return (
    <>
      <PageHeader
        title={`Cluster ${name}`}
        description={
          <Link href="/clusters" className="text-brand-700 hover:underline">
            All clusters
          </Link>
        }
      />
      <ClusterDetail name={name} admin={admin} />
    </>
  );
}
