import type { Metadata } from "next";
import Link from "next/link";
import { Freezes } from "@/components/releases/freezes";
import { ReleaseList } from "@/components/releases/release-list";
import { PageHeader } from "@/components/ui/primitives";
import { serverCaller } from "@/server/trpc/server";

export const metadata: Metadata = { title: "Releases" };

export default async function ReleasesPage() {
  const me = await (await serverCaller()).org.me();
  // Only offered to admins; the server refuses anyone else anyway.
  const admin = me.grants.some((g) => g.role === "admin" && g.tenantId === null);
  return (
    <>
      <PageHeader
        title="Releases"
        description="Each release is an immutable, numbered snapshot of the whole policy set, made from an approved change request."
        actions={
          <Link href="/releases/diff" className="text-sm text-brand-700 hover:underline">
            Compare two releases
          </Link>
        }
      />
      <div className="space-y-6">
        <ReleaseList />
        <Freezes admin={admin} />
      </div>
    </>
  );
}
