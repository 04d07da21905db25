import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { ChangeDetail } from "@/components/changes/change-detail";
import { PageHeader } from "@/components/ui/primitives";
import { serverCaller } from "@/server/trpc/server";

export async function generateMetadata({ params }: { params: Promise<{ number: string }> }): Promise<Metadata> {
  return { title: `Change #${(await params).number}` };
}

export default async function ChangePage({ params }: { params: Promise<{ number: string }> }) {
  const raw = (await params).number;
  if (!/^\d{1,9}$/.test(raw)) notFound();
  const number = Number(raw);
  const api = await serverCaller();
  const change = await api.changes.get({ number }).catch(() => null);
  if (!change) notFound();
  return (
    <>
      <PageHeader
        title={`#${number} ${change.title}`}
        description={
          <Link href="/changes" className="text-brand-700 hover:underline">
            All change requests
          </Link>
        }
      />
      <ChangeDetail number={number} />
    </>
  );
}
