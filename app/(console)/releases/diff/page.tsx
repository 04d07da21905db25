import type { Metadata } from "next";
import Link from "next/link";
import { ReleaseDiff } from "@/components/releases/release-diff";
import { PageHeader } from "@/components/ui/primitives";

export const metadata: Metadata = { title: "Compare releases" };

const releaseNumber = (v: string | string[] | undefined) => {
  const s = Array.isArray(v) ? v[0] : v;
  return s && /^\d{1,9}$/.test(s) && Number(s) > 0 ? Number(s) : null;
};

export default async function ReleaseDiffPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = await searchParams;
  return (
    <>
      <PageHeader
        title="Compare releases"
        description={
          <Link href="/releases" className="text-brand-700 hover:underline">
            All releases
          </Link>
        }
      />
      <ReleaseDiff from={releaseNumber(params.from)} to={releaseNumber(params.to)} />
    </>
  );
}
