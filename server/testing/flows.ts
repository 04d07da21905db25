// Observed-flow test kit: Hubble records as `hubble observe -o json` prints them,
// and API tokens made through the admin's own procedure.
import { eq } from "drizzle-orm";
import type { Database } from "@/db/client";
import { clusters } from "@/db/schema";
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
