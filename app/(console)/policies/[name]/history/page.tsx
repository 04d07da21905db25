import type { Metadata } from "next";
import Link from "next/link";
import { PolicyHistory } from "@/components/policies/policy-history";
import { PageHeader } from "@/components/ui/primitives";

export async function generateMetadata({ params }: { params: Promise<{ name: string }> }): Promise<Metadata> {
  return { title: `History of ${(await params).name}` };
}

export default async function PolicyHistoryPage({ params }: { params: Promise<{ name: string }> }) {
  const name = (await params).name;
  return (
    <>
      <PageHeader
        title={`History of ${name}`}
        description={
          <>
            Every version is kept. Restoring a version drafts it again; it still goes through a change request.{" "}
            <Link href={`/policies/${name}`} className="text-brand-700 hover:underline">
              Back to the editor
            </Link>
          </>
        }
      />
      <PolicyHistory name={name} />
    </>
  );
}
