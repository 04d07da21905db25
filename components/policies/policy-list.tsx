"use client";

// Policies and compliance constraints, grouped by tier and tenant, with search.
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useState } from "react";
import { useTRPC } from "@/components/trpc/client";
import { describeError } from "@/components/trpc/errors";
import { Badge, Card, Input, Notice, Table, Td } from "@/components/ui/primitives";
import { TIERS } from "@/lib/vocabulary";

const TIER_TITLES: Record<string, string> = {
  global: "Global tier: enterprise baseline, evaluated first",
  regional: "Regional tier",
  cluster: "Cluster tier",
  namespace: "Namespace tier: application teams",
  baseline: "Baseline: secure by default",
};

type Row = {
  name: string;
  kind: string;
  tier: string;
  tenant: string | null;
  owner: string;
  description: string;
  scope: string;
  releasedVersion: number | null;
  latestVersion: number;
  hasDraft: boolean;
  lastChange: { at: Date; by: string; message: string };
  lint: { errors: number; warnings: number; infos: number; first: string | null };
};

function LintBadge({ lint }: { lint: Row["lint"] }) {
  if (lint.errors > 0) return <Badge tone="red">{`${lint.errors} error${lint.errors > 1 ? "s" : ""}`}</Badge>;
  if (lint.warnings > 0) return <Badge tone="amber">{`${lint.warnings} warning${lint.warnings > 1 ? "s" : ""}`}</Badge>;
  if (lint.infos > 0) return <Badge tone="slate">{`${lint.infos} note${lint.infos > 1 ? "s" : ""}`}</Badge>;
  return <Badge tone="green">clean</Badge>;
}

function Rows({ rows }: { rows: Row[] }) {
  return (
    <Table head={["Name", "Owner", "Scope", "Version", "Last change", "Lint"]}>
      {rows.map((p) => (
        <tr key={`${p.kind}/${p.name}`} data-testid="policy-row">
          <Td>
            <Link href={`/policies/${p.name}`} className="font-mono font-medium text-brand-700 hover:underline">
              {p.name}
            </Link>
            <div className="max-w-md text-xs text-slate-500">{p.description}</div>
          </Td>
          <Td className="text-xs">{p.owner}</Td>
          <Td className="text-xs">{p.scope}</Td>
          <Td className="whitespace-nowrap text-xs">
            {p.releasedVersion ? `v${p.releasedVersion} released` : "unreleased"}
            {p.hasDraft ? (
              <div>
                <Badge tone="blue">{`draft v${p.latestVersion}`}</Badge>
              </div>
            ) : null}
          </Td>
          <Td className="whitespace-nowrap text-xs">
            {new Date(p.lastChange.at).toISOString().slice(0, 16).replace("T", " ")}
            <div className="text-slate-500">{p.lastChange.by}</div>
          </Td>
          <Td>
            <span title={p.lint.first ?? undefined}>
              <LintBadge lint={p.lint} />
            </span>
          </Td>
        </tr>
      ))}
    </Table>
  );
}

export function PolicyList() {
  const trpc = useTRPC();
  const [search, setSearch] = useState("");
  const [debounced, setDebounced] = useState("");
  useEffect(() => {
    const t = setTimeout(() => setDebounced(search), 250);
    return () => clearTimeout(t);
  }, [search]);
  const list = useQuery({ ...trpc.policies.list.queryOptions({ search: debounced || undefined }), placeholderData: keepPreviousData });
  const rows = (list.data ?? []) as Row[];
  const constraints = rows.filter((r) => r.kind === "ComplianceConstraint");
  const policies = rows.filter((r) => r.kind === "Policy");
  return (
    <div className="space-y-6">
      <Input
        type="search"
        aria-label="Search policies"
        placeholder="Search by name, tenant, owner, tier, scope…"
        value={search}
        onChange={(e) => setSearch(e.target.value)}
        className="max-w-lg"
      />
      {list.isError ? <Notice tone="error">{describeError(list.error).message}</Notice> : null}
      {list.data && rows.length === 0 ? (
        <Notice>
          {debounced ? <>No policy matches “{debounced}”.</> : <>No policies yet. Start from a template or write one with “New policy”.</>}
        </Notice>
      ) : null}
      {constraints.length > 0 ? (
        <Card title="Compliance constraints: deny-only guardrails nothing overrides">
          <Rows rows={constraints} />
        </Card>
      ) : null}
      {TIERS.map((tier) => {
        const inTier = policies.filter((p) => p.tier === tier);
        if (inTier.length === 0) return null;
        const tenants = [...new Set(inTier.map((p) => p.tenant ?? ""))].sort();
        return (
          <Card key={tier} title={TIER_TITLES[tier]} id={`tier-${tier}`}>
            <div className="space-y-4" data-testid={`tier-${tier}`}>
              {tenants.map((t) => (
                <div key={t || "org"}>
                  {tenants.length > 1 || t ? (
                    <h3 className="mb-1 text-xs font-semibold uppercase tracking-wide text-slate-500">
                      {t ? `Tenant ${t}` : "Organisation-wide"}
                    </h3>
                  ) : null}
                  <Rows rows={inTier.filter((p) => (p.tenant ?? "") === t)} />
                </div>
              ))}
            </div>
          </Card>
        );
      })}
    </div>
  );
}
