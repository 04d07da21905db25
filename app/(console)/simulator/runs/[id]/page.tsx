import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { RunResult } from "@/components/simulator/run-result";
import { PageHeader } from "@/components/ui/primitives";

export const metadata: Metadata = { title: "Replay run" };

export default async function ReplayRunPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) notFound();
  return (
    <>
      <PageHeader
        title="Replay run"
        description={
          <Link href="/simulator" className="text-brand-700 hover:underline">
            Simulator
          </Link>
        }
      />
      <RunResult id={id} />
    </>
  );
}
