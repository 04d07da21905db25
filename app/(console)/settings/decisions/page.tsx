import type { Metadata } from "next";
import Link from "next/link";
import { DecisionLog } from "@/components/decisions/decision-log";
import { PageHeader } from "@/components/ui/primitives";
import { serverCaller } from "@/server/trpc/server";

export const metadata: Metadata = { title: "Decision log" };

export default async function DecisionLogPage() {
  const me = await (await serverCaller()).org.me();
  const admin = me.grants.some((g) => g.role === "admin" && g.tenantId === null);
  return (
    <>
      <PageHeader
        title="Decision log"
        description={
          <>
            Decisions the decision point (<code className="font-mono text-xs">POST /api/v1/decide</code>) answered, as sampled by the
            setting below. Each answer carries its <code className="font-mono text-xs">decisionId</code>: paste it to find the entry.{" "}
            <Link href="/settings/api" className="text-brand-700 hover:underline">
              API reference
            </Link>
          </>
        }
      />
      <DecisionLog admin={admin} />
    </>
  );
}
