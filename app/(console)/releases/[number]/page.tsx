import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { ReleaseDetail } from "@/components/releases/release-detail";
import { PageHeader } from "@/components/ui/primitives";
import { serverCaller } from "@/server/trpc/server";

export async function generateMetadata({ params }: { params: Promise<{ number: string }> }): Promise<Metadata> {
  return { title: `Release ${(await params).number}` };
}

export default async function ReleasePage({ params }: { params: Promise<{ number: string }> }) {
  const raw = (await params).number;
  if (!/^[1-9]\d{0,8}$/.test(raw)) notFound();
  const number = Number(raw);
  const api = await serverCaller();
  const release = await api.releases.get({ number }).catch(() => null);
  if (!release) notFound();
  const me = await api.org.me();
  // Offered to admins only; the server refuses anyone else anyway.
  const admin = me.grants.some((g) => g.role === "admin" && g.tenantId === null);
  const [newest] = await api.releases.list();
  return (
    <>
      <PageHeader
        title={`Release ${number}: ${release.title}`}
        description={
          <Link href="/releases" className="text-brand-700 hover:underline">
            All releases
          </Link>
        }
      />
      <ReleaseDetail number={number} admin={admin} latest={newest?.number === number} />
    </>
  );
}
