import "server-only";
// The checks every request passes before anything is written (and the form's
// live preview): the window, the admins' limits, renewals, and the engine's
// verdict — which pod pairs it opens and which compliance constraint forbids it.
import { eq } from "drizzle-orm";
import type { Queryable } from "@/db/client";
import { exceptions, namespaces, type ExceptionFlow, type ExceptionRow } from "@/db/schema";
import { releasedDocuments } from "@/server/drafts/documents";
import { asLocated } from "@/server/drafts/engine";
import { loadClusterModels } from "@/server/inventory/cluster-model";
import { platformDefaultInForce } from "@/server/platform-default/get";
import { parseCidr } from "@/server/policy/util/ip";
import { exceptionEffect, type ClusterEffect } from "./document";
import { approvedExceptionDocuments, documentOfRow } from "./in-force";
import { exceptionSettingsOf, type ExceptionSettings } from "./settings";

const DAY_MS = 86_400_000;

export interface Problem {
  field: string;
  message: string;
}

export interface ExceptionCheck {
  problems: Problem[];
  warnings: string[];
  effects: ClusterEffect[];
  /** Touches a production cluster: the production exception rule applies. */
  production: boolean;
  /** The source namespace's tenant (first cluster holding it). */
  tenantId: string | null;
  renewalDepth: number;
  renews: ExceptionRow | null;
  settings: ExceptionSettings;
}

export interface CheckInput {
  flow: ExceptionFlow;
  startsAt: Date;
  expiresAt: Date;
  renews?: number;
  /** The exception being checked when it exists already (left out of the set in force). */
  self?: number;
}

function describeFlow(flow: ExceptionFlow): string {
  const d = flow.destination;
  const to =
    d.kind === "workload" ? `${d.namespace}${labelsText(d.labels)}` : d.kind === "service" ? d.service : d.kind === "cidr" ? d.cidr : d.dns;
  return `${flow.source.namespace}${labelsText(flow.source.labels)} → ${to}`;
}
const labelsText = (labels: Record<string, string>) => {
  const parts = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
  return parts.length > 0 ? ` {${parts.join(", ")}}` : "";
};

export async function checkException(db: Queryable, input: CheckInput, now: Date): Promise<ExceptionCheck> {
  const { flow, startsAt, expiresAt } = input;
  const problems: Problem[] = [];
  const warnings: string[] = [];
  const settings = await exceptionSettingsOf(db);

  // The window.
  if (expiresAt.getTime() <= startsAt.getTime())
    problems.push({
      field: "expiresAt",
      message: `The expiry ${expiresAt.toISOString()} is not after the start ${startsAt.toISOString()}: an exception counts from its start up to its expiry.`,
    });
  else if (expiresAt.getTime() - startsAt.getTime() > settings.maxDurationDays * DAY_MS)
    problems.push({
      field: "expiresAt",
      message: `The window is ${((expiresAt.getTime() - startsAt.getTime()) / DAY_MS).toFixed(1)} days, over the maximum of ${settings.maxDurationDays} days set by the admins: choose an earlier expiry.`,
    });
  if (expiresAt.getTime() <= now.getTime())
    problems.push({ field: "expiresAt", message: `The expiry ${expiresAt.toISOString()} is already past.` });

  // Breadth.
  if (flow.destination.kind === "cidr" && settings.forbidWholeInternet && parseCidr(flow.destination.cidr)?.prefix === 0)
    problems.push({
      field: "flow.destination.cidr",
      message: `${flow.destination.cidr} is the whole internet: exceptions must name a narrower destination (the admins' breadth limit).`,
    });

  // Where it applies: the clusters in scope, their environment, the source namespace's tenant.
  const contexts = await loadClusterModels(db, flow.clusters && flow.clusters.length > 0 ? flow.clusters : undefined).catch(
    (error: unknown) => {
      problems.push({ field: "flow.clusters", message: error instanceof Error ? error.message : String(error) });
      return [];
    },
  );
  const namespacesTouched = [flow.source.namespace, ...(flow.destination.kind === "workload" ? [flow.destination.namespace] : [])];
  const production = contexts.some(
    (c) => c.environment === "production" && c.model.namespaces.some((n) => namespacesTouched.includes(n.name)),
  );
  const sourceInProduction = contexts.some(
    (c) => c.environment === "production" && c.model.namespaces.some((n) => n.name === flow.source.namespace),
  );
  if (settings.forbidWholeNamespaceInProduction && sourceInProduction && Object.keys(flow.source.labels).length === 0)
    problems.push({
      field: "flow.source.labels",
      message: `The source is the whole namespace ${flow.source.namespace}, which runs in a production cluster: name the pods' labels (the admins' breadth limit).`,
    });
  const [ns] = await db
    .select({ tenantId: namespaces.tenantId })
    .from(namespaces)
    .where(eq(namespaces.name, flow.source.namespace))
    .limit(1);

  // Renewals in a row.
  let renews: ExceptionRow | null = null;
  let renewalDepth = 0;
  if (input.renews !== undefined) {
    [renews = null] = await db.select().from(exceptions).where(eq(exceptions.number, input.renews));
    if (!renews) problems.push({ field: "renews", message: `There is no exception E-${input.renews} to renew.` });
    else if (renews.state !== "approved" && renews.state !== "expired")
      problems.push({
        field: "renews",
        message: `E-${renews.number} is ${renews.state}: only an approved or expired exception can be renewed.`,
      });
    else {
      renewalDepth = renews.renewalDepth + 1;
      if (renewalDepth > settings.maxRenewals)
        problems.push({
          field: "renews",
          message: `E-${renews.number} was already renewed ${renews.renewalDepth} time(s) in a row; the admins allow ${settings.maxRenewals}. Fix the policy instead of renewing again.`,
        });
    }
  }

  // The engine: what it opens, and whether a compliance constraint forbids it.
  let effects: ClusterEffect[] = [];
  if (contexts.length > 0 && expiresAt.getTime() > startsAt.getTime()) {
    const [released, approved, platformDefault] = await Promise.all([
      releasedDocuments(db),
      approvedExceptionDocuments(db),
      platformDefaultInForce(db),
    ]);
    const inForce = [
      ...released.map(asLocated),
      ...approved
        .filter((a) => a.number !== input.self)
        .map((a) => ({ document: a.document, version: a.version, file: `Exception/${a.document.metadata.name}` })),
    ];
    const candidate = documentOfRow({
      number: input.self ?? 0,
      flow,
      startsAt,
      expiresAt,
      justification: "preview of an exception request",
    });
    effects = contexts.map((c) =>
      exceptionEffect({ name: c.name, region: c.region, model: c.model }, inForce, candidate, flow, startsAt, platformDefault),
    );
    const forbidden = effects.flatMap((e) => e.forbiddenBy.map((f) => ({ ...f, cluster: e.cluster })));
    for (const constraint of [...new Set(forbidden.map((f) => f.constraint))]) {
      const first = forbidden.find((f) => f.constraint === constraint)!;
      problems.push({
        field: "flow",
        message: `Compliance constraint ${constraint} forbids this flow (${describeFlow(flow)} on ${first.pair.port}/${first.pair.protocol} in ${first.cluster}): compliance constraints can never be excepted.`,
      });
    }
    if (!effects.some((e) => e.sources > 0))
      warnings.push(
        `No workload matches the source ${flow.source.namespace}${labelsText(flow.source.labels)} in any cluster yet: the exception will open nothing until one exists.`,
      );
    if ((flow.destination.kind === "workload" || flow.destination.kind === "service") && !effects.some((e) => e.destinations > 0))
      warnings.push(
        `The destination of ${describeFlow(flow)} does not exist in any cluster yet: the exception will open nothing until it does.`,
      );
  }
  return { problems, warnings, effects, production, tenantId: ns?.tenantId ?? null, renewalDepth, renews, settings };
}
