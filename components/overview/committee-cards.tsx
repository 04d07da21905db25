// The committee's cards on the Overview (issue 17 item 6): each figure leads to
// the page that explains it. Rendered on the server from overview.committee.
import Link from "next/link";
import type { ReactNode } from "react";
import type { CommitteeOverview } from "@/server/org/committee";

const utc = (d: Date | string) => `${new Date(d).toISOString().slice(0, 16).replace("T", " ")} UTC`;

export const percent = (part: number, whole: number) => (whole === 0 ? "–" : `${Math.round((part / whole) * 100)}%`);

function Figure({
  label,
  value,
  testId,
  href,
  linkLabel,
  children,
}: {
  label: string;
  value: ReactNode;
  testId: string;
  href: string;
  linkLabel: string;
  children?: ReactNode;
}) {
  return (
    <section className="flex flex-col rounded-xl border border-slate-200 bg-white px-5 py-4 shadow-sm" data-testid={`card-${testId}`}>
      <p className="text-xs font-medium uppercase tracking-wide text-slate-500">{label}</p>
      <p className="mt-1 text-3xl font-semibold tabular-nums text-slate-900" data-testid={`figure-${testId}`}>
        {value}
      </p>
      <div className="mt-2 flex-1 text-sm text-slate-600">{children}</div>
      <Link href={href} className="mt-3 self-start text-sm font-medium text-brand-700 hover:underline">
        {linkLabel} →
      </Link>
    </section>
  );
}

/** 24 hourly bars, the newest on the right (a sparkline; the Violations page has the full chart). */
function Trend({ series }: { series: { t: string; n: number }[] }) {
  const max = Math.max(1, ...series.map((p) => p.n));
  const w = 6;
  const gap = 2;
  const h = 36;
  return (
    <svg
      role="img"
      aria-label={`Violations per hour over the last 24 hours, at most ${max} in an hour`}
      width={series.length * (w + gap)}
      height={h}
      className="mt-1"
      data-testid="violations-trend"
    >
      {series.map((p, i) => {
        const bh = p.n === 0 ? 1 : Math.max(2, Math.round((p.n / max) * h));
        return (
          <rect
            key={p.t}
            x={i * (w + gap)}
            y={h - bh}
            width={w}
            height={bh}
            rx={1}
            className={p.n === 0 ? "fill-slate-200" : "fill-rose-500"}
          >
            <title>{`${utc(p.t)}: ${p.n}`}</title>
          </rect>
        );
      })}
    </svg>
  );
}

function change(now: number, before: number): { text: string; tone: string } {
  if (now === before) return { text: "as many as the 24 h before", tone: "text-slate-500" };
  if (before === 0) return { text: `up from none the 24 h before`, tone: "text-rose-700" };
  const pct = Math.round(((now - before) / before) * 100);
  return pct > 0
    ? { text: `▲ ${pct}% on the 24 h before (${before})`, tone: "text-rose-700" }
    : { text: `▼ ${-pct}% on the 24 h before (${before})`, tone: "text-emerald-700" };
}

export function CommitteeCards({ data }: { data: CommitteeOverview }) {
  const { coverage, violations, drift, expiringExceptions, approvals, releases } = data;
  const trend = change(violations.last24h, violations.previous24h);
  return (
    <div className="grid gap-4 md:grid-cols-2 xl:grid-cols-3" data-testid="committee-cards">
      <Figure
        label="Coverage by default deny"
        value={percent(coverage.ingress, coverage.workloads)}
        testId="coverage"
        href="/graph"
        linkLabel="Graph"
      >
        <p>
          <span data-testid="coverage-ingress">{coverage.ingress}</span> of{" "}
          <span data-testid="coverage-workloads">{coverage.workloads}</span> workloads deny inbound traffic no rule allows; {coverage.both}{" "}
          deny in both directions.
        </p>
      </Figure>

      <Figure
        label="Violations, last 24 h"
        value={violations.last24h}
        testId="violations"
        href="/violations?range=24h"
        linkLabel="Violations"
      >
        <p className={trend.tone} data-testid="violations-change">
          {trend.text}
        </p>
        <Trend series={violations.series} />
      </Figure>

      <Figure label="Drift" value={drift.objects} testId="drift" href="/clusters" linkLabel="Clusters">
        <p>
          {drift.objects === 0
            ? "Every cluster runs what its release renders for it."
            : `Object${drift.objects === 1 ? "" : "s"} differing from the release in ${drift.clusters} cluster${drift.clusters === 1 ? "" : "s"}.`}
        </p>
      </Figure>

      <Figure
        label={`Exceptions expiring within ${expiringExceptions.withinDays} days`}
        value={expiringExceptions.count}
        testId="expiring"
        href="/exceptions"
        linkLabel="Exceptions"
      >
        {expiringExceptions.soonest.length === 0 ? (
          <p>No approved exception ends this week.</p>
        ) : (
          <ul className="space-y-1" data-testid="expiring-list">
            {expiringExceptions.soonest.map((e) => (
              <li key={e.number} className="flex justify-between gap-2">
                <Link
                  href={`/exceptions?number=${e.number}`}
                  className="min-w-0 truncate font-medium text-slate-900 hover:text-brand-700 hover:underline"
                >
                  E-{e.number} {e.title}
                </Link>
                <span className="shrink-0 text-xs text-slate-500">{utc(e.expiresAt)}</span>
              </li>
            ))}
          </ul>
        )}
      </Figure>

      <Figure
        label="Approvals waiting"
        value={approvals.changesInReview + approvals.exceptionsRequested}
        testId="approvals"
        href="/reviews"
        linkLabel="Review queue"
      >
        <ul className="space-y-1">
          <li>
            <Link href="/changes" className="hover:text-brand-700 hover:underline" data-testid="approvals-changes">
              {approvals.changesInReview} change request{approvals.changesInReview === 1 ? "" : "s"} in review
            </Link>
          </li>
          <li>
            <Link href="/exceptions" className="hover:text-brand-700 hover:underline" data-testid="approvals-exceptions">
              {approvals.exceptionsRequested} exception request{approvals.exceptionsRequested === 1 ? "" : "s"}
            </Link>
          </li>
          <li data-testid="approvals-yours">
            {approvals.yours === 0 ? "None waits for your approval." : `${approvals.yours} wait for your approval.`}
          </li>
        </ul>
      </Figure>

      <Figure
        label="Last releases"
        value={releases[0] ? `#${releases[0].number}` : "none"}
        testId="releases"
        href="/releases"
        linkLabel="Releases"
      >
        {releases.length === 0 ? (
          <p>Nothing released yet: a change request reaches the clusters through a release.</p>
        ) : (
          <ul className="space-y-1" data-testid="releases-list">
            {releases.map((r) => (
              <li key={r.number} className="flex justify-between gap-2">
                <Link
                  href={`/releases/${r.number}`}
                  className="min-w-0 truncate font-medium text-slate-900 hover:text-brand-700 hover:underline"
                >
                  #{r.number} {r.title}
                </Link>
                <span className="shrink-0 text-xs text-slate-500">
                  {r.emergency ? "emergency · " : r.rollbackTo !== null ? `rollback to #${r.rollbackTo} · ` : ""}
                  {utc(r.createdAt)}
                </span>
              </li>
            ))}
          </ul>
        )}
      </Figure>
    </div>
  );
}
