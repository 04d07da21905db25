"use client";

// A cluster's drift over time: the counts by kind after each recompute (an upload, an agent
// push, a re-render), stacked, as steps (a count holds until the next recompute).
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Area, AreaChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { DRIFT_TYPES, type DriftType } from "@/lib/clusters";
import { useTRPC } from "@/components/trpc/client";
import { describeError } from "@/components/trpc/errors";
import { Card, Notice, Select } from "@/components/ui/primitives";

const COLORS: Record<DriftType, string> = { missing: "#d97706", unmanaged: "#e11d48", modified: "#7c3aed" };
const NAMES: Record<DriftType, string> = { missing: "Missing", unmanaged: "Unmanaged", modified: "Modified" };
const WINDOWS = [7, 30, 90] as const;

const label = (t: number) => new Date(t).toISOString().slice(0, 16).replace("T", " ");

export function DriftTrend({ name }: { name: string }) {
  const trpc = useTRPC();
  const [days, setDays] = useState<number>(30);
  const trend = useQuery(trpc.clusters.driftTrend.queryOptions({ name, days }));
  const points = (trend.data ?? []).map((p) => ({ ...p, t: new Date(p.at).getTime() }));
  return (
    <Card
      title="Drift over time (UTC)"
      actions={
        <Select className="w-40" aria-label="Trend window" value={String(days)} onChange={(e) => setDays(Number(e.target.value))}>
          {WINDOWS.map((d) => (
            <option key={d} value={d}>
              last {d} days
            </option>
          ))}
        </Select>
      }
    >
      {trend.error ? <Notice tone="error">{describeError(trend.error).message}</Notice> : null}
      <div className="h-56" data-testid="drift-trend">
        {trend.data && points.length === 0 ? (
          <p className="text-sm text-slate-500">No drift computed in this window: it is computed with each observed state.</p>
        ) : (
          <ResponsiveContainer width="100%" height="100%">
            <AreaChart data={points} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
              <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
              <XAxis dataKey="t" type="number" scale="time" domain={["dataMin", "dataMax"]} tickFormatter={label} fontSize={12} />
              <YAxis allowDecimals={false} fontSize={12} width={40} />
              <Tooltip labelFormatter={(t) => `${label(Number(t))} UTC`} />
              <Legend />
              {DRIFT_TYPES.map((type) => (
                <Area
                  key={type}
                  type="stepAfter"
                  stackId="drift"
                  dataKey={type}
                  name={NAMES[type]}
                  stroke={COLORS[type]}
                  fill={COLORS[type]}
                  fillOpacity={0.3}
                  isAnimationActive={false}
                />
              ))}
            </AreaChart>
          </ResponsiveContainer>
        )}
      </div>
    </Card>
  );
}
