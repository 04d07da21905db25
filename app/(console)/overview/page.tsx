import type { Metadata } from "next";
import Link from "next/link";
import { Badge, Card, PageHeader, Table, Td } from "@/components/ui/primitives";
import { CommitteeCards, percent } from "@/components/overview/committee-cards";
import { serverCaller } from "@/server/trpc/server";
import { OPEN_CHANGE_REQUEST_STATES, TIERS, type Tier } from "@/lib/vocabulary";

export const metadata: Metadata = { title: "Overview" };

const TIER_HELP: Record<Tier, string> = {
  global: "Enterprise baseline, evaluated first",
  regional: "Per region or regulatory zone",
  cluster: "Per cluster",
  namespace: "Application teams' policies",
  baseline: "Secure-by-default fallback",
};

function Stat({ label, value, testId, href }: { label: string; value: number; testId: string; href: string }) {
  return (
    <Link
      href={href}
      className="block rounded-xl border border-slate-200 bg-white px-5 py-4 shadow-sm transition hover:border-brand-300 hover:shadow"
    >
      <p className="text-xs font-medium uppercase tracking-wide text-slate-500">{label}</p>
      <p className="mt-1 text-3xl font-semibold tabular-nums text-slate-900" data-testid={testId}>
        {value}
      </p>
    </Link>
  );
}

export default async function OverviewPage() {
  const api = await serverCaller();
  const [counts, committee, changes] = await Promise.all([api.overview.counts(), api.overview.committee(), api.changes.list()]);
  const coverageOf = new Map(committee.coverage.perCluster.map((c) => [c.cluster, c]));
  const open = changes.filter((c) => (OPEN_CHANGE_REQUEST_STATES as readonly string[]).includes(c.state));
  const tierCount = new Map(counts.policiesByTier.map((r) => [r.tier, r.count]));
  return (
    <>
      <PageHeader
        title="Overview"
        description="What the committee reads: how much of the estate a default deny covers, what policy denied today, drift, exceptions about to end, what waits for approval and what was released; then the clusters, tenants and the policy set that governs their traffic."
      />
      <CommitteeCards data={committee} />

      <h2 className="mt-8 mb-3 text-sm font-semibold text-slate-900">Inventory</h2>
      <div className="grid grid-cols-2 gap-4 lg:grid-cols-5">
        <Stat label="Clusters" value={counts.clusters} testId="count-clusters" href="/clusters" />
        <Stat label="Tenants" value={counts.tenants} testId="count-tenants" href="/graph" />
        <Stat label="Namespaces" value={counts.namespaces} testId="count-namespaces" href="/graph" />
        <Stat label="Workloads" value={counts.workloads} testId="count-workloads" href="/graph" />
        <Stat label="External destinations" value={counts.externalDestinations} testId="count-externals" href="/graph" />
      </div>

      <div className="mt-6 grid gap-6 lg:grid-cols-2">
        <Card title="Policies by tier">
          <ul className="divide-y divide-slate-100">
            {TIERS.map((tier) => (
              <li key={tier} className="flex items-center justify-between py-2.5">
                <div>
                  <Link
                    href={`/policies#tier-${tier}`}
                    className="text-sm font-medium capitalize text-slate-900 hover:text-brand-700 hover:underline"
                  >
                    {tier}
                  </Link>
                  <p className="text-xs text-slate-500">{TIER_HELP[tier]}</p>
                </div>
                <span className="text-lg font-semibold tabular-nums text-slate-900" data-testid={`tier-${tier}`}>
                  {tierCount.get(tier) ?? 0}
                </span>
              </li>
            ))}
            <li className="flex items-center justify-between py-2.5">
              <div>
                <p className="text-sm font-medium text-slate-900">Compliance constraints</p>
                <p className="text-xs text-slate-500">Deny-only guardrails nothing can override</p>
              </div>
              <span className="text-lg font-semibold tabular-nums text-slate-900" data-testid="count-constraints">
                {counts.constraints}
              </span>
            </li>
          </ul>
        </Card>

        <Card title="Clusters">
          <Table head={["Cluster", "Region", "Environment", "Workloads", "Default deny"]}>
            {counts.perCluster.map((c) => (
              <tr key={c.cluster}>
                <Td className="font-medium text-slate-900">{c.cluster}</Td>
                <Td>{c.region}</Td>
                <Td>
                  <Badge tone={c.environment === "production" ? "violet" : "blue"}>{c.environment}</Badge>
                </Td>
                <Td className="tabular-nums">{c.workloads}</Td>
                <Td className="tabular-nums">
                  <span
                    title="Share of the cluster's workloads that deny inbound traffic no rule allows"
                    data-testid={`coverage-${c.cluster}`}
                  >
                    {percent(coverageOf.get(c.cluster)?.ingress ?? 0, coverageOf.get(c.cluster)?.workloads ?? 0)}
                  </span>
                </Td>
              </tr>
            ))}
          </Table>
        </Card>
      </div>

      <div className="mt-6">
        <Card
          title={`Open change requests (${open.length})`}
          actions={
            <Link href="/changes" className="text-sm font-medium text-brand-700 hover:underline">
              All changes
            </Link>
          }
        >
          <div data-testid="open-changes">
            {open.length === 0 ? (
              <p className="text-sm text-slate-500">No change request is open. Drafts reach a release only through one.</p>
            ) : (
              <ul className="divide-y divide-slate-100">
                {open.slice(0, 5).map((c) => (
                  <li key={c.id} className="flex items-center justify-between gap-3 py-2">
                    <Link
                      href={`/changes/${c.number}`}
                      className="min-w-0 truncate text-sm font-medium text-slate-900 hover:text-brand-700 hover:underline"
                    >
                      #{c.number} {c.title}
                    </Link>
                    <span className="shrink-0 text-xs text-slate-500">
                      {c.authorLabel} · {c.items.length} polic{c.items.length === 1 ? "y" : "ies"}
                    </span>
                  </li>
                ))}
              </ul>
            )}
          </div>
        </Card>
      </div>
    </>
  );
}
