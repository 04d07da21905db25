// Observed-flow test kit: Hubble records as `hubble observe -o json` prints them,
// and API tokens made through the admin's own procedure.
import { eq } from "drizzle-orm";
import type { Database } from "@/db/client";
import { clusters, type FlowClass } from "@/db/schema";
import type { KeyedRow } from "@/server/flows/write";
import type { TokenScope } from "@/lib/vocabulary";
import { callerFor, DEMO_PEOPLE } from "./actors";

/** A Hubble record between two pods of the demo's prod-eu-1 (the node name says the cluster). */
export function hubbleRecord(opts: {
  src: [string, string];
  dst: [string, string];
  port: number;
  verdict: string;
  time: string;
  proto?: "TCP" | "UDP";
}): string {
  const proto = opts.proto ?? "TCP";
  return JSON.stringify({
    flow: {
      time: opts.time,
      verdict: opts.verdict,
      ...(opts.verdict === "DROPPED" ? { drop_reason_desc: "POLICY_DENIED" } : {}),
      IP: { source: "10.9.0.1", destination: "10.9.0.2", ipVersion: "IPv4" },
      l4: { [proto]: { source_port: 40000, destination_port: opts.port } },
      source: { namespace: opts.src[0], pod_name: opts.src[1] },
      destination: { namespace: opts.dst[0], pod_name: opts.dst[1] },
      node_name: "prod-eu-1/node-a",
    },
    node_name: "prod-eu-1/node-a",
    time: opts.time,
  });
}

/** A day-long viewer token with these scopes, made by the demo admin; bound to `cluster` when given. */
export async function scopedToken(db: Database, name: string, scopes: TokenScope[], cluster?: string): Promise<string> {
  const admin = await callerFor(db, DEMO_PEOPLE.admin);
  let clusterId: string | undefined;
  if (cluster) {
    const [c] = await db.select({ id: clusters.id }).from(clusters).where(eq(clusters.name, cluster));
    clusterId = c!.id;
  }
  const created = await admin.settings.createToken({
    name,
    role: "viewer",
    tenantId: null,
    scopes,
    expiresInDays: 1,
    ...(clusterId ? { clusterId } : {}),
  });
  return created.token;
}

/** A batch's aggregate of `count` dropped flows from `source` to payments/ledger:9090 in `minute`, as ingestion hands it to writeAggregates. */
export function aggregateRow(opts: {
  cluster: string;
  minute: Date;
  source: string;
  count: number;
  sample?: string;
  tenant?: string | null;
  flowClass?: FlowClass;
}): KeyedRow {
  const at = new Date(opts.minute.getTime() + Math.min(opts.count, 59) * 1000).toISOString();
  const flowClass = opts.flowClass ?? "violation";
  return {
    key: `${opts.cluster}\u0001${opts.minute.getTime()}\u0001${opts.source}\u0001${flowClass}`,
    minuteMs: opts.minute.getTime(),
    row: {
      cluster_id: opts.cluster,
      minute: opts.minute.toISOString(),
      source: opts.source,
      source_namespace: "payments",
      source_tenant_id: opts.tenant ?? null,
      destination: "payments/ledger",
      destination_namespace: "payments",
      destination_tenant_id: null,
      port: 9090,
      protocol: "TCP",
      verdict: flowClass === "allowed" ? "FORWARDED" : "DROPPED",
      flow_class: flowClass,
      engine_verdict: "deny",
      release_number: null,
      rationale: "r",
      attribution: null,
      destination_criticality: null,
      severity: flowClass === "allowed" ? null : "low",
      count: opts.count,
      samples: [{ time: at, line: opts.sample ?? "{}" }],
      first_seen: at,
      last_seen: at,
    },
  };
}
