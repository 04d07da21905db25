import "server-only";
// What a tenant-scoped person may see of other tenants, decided once here.
//
// The rule: someone whose grants are all tenant grants reads their tenants and
// the organisation-wide things (platform namespaces, the admin tiers, the
// baseline). Of any other tenant they learn only that something is there: its
// workloads, services and namespaces appear in the graph as one opaque "other
// tenant" node per cluster with no labels, no names and no policy names; the
// names of its policies appear nowhere (node and edge details, lint findings,
// texts); its audit events are not listed. Reading something of another tenant
// by name or id answers exactly as if it did not exist (NOT_FOUND).
// Namespace and Service names stay readable: they are the addresses a policy's
// peers are written with.
import { isNotNull } from "drizzle-orm";
import type { Queryable } from "@/db/client";
import { namespaces, policies, tenants } from "@/db/schema";
import { mayReadTenant, readableTenantIds } from "@/server/auth/authorize";
import type { Actor } from "@/server/context";
import type { NotFound } from "@/server/errors";

export const OTHER_TENANT_LABEL = "other tenant";
export const HIDDEN_POLICY_LABEL = "a policy of another tenant";

export interface Visibility {
  /** False for someone with a global grant: they see everything. */
  scoped: boolean;
  /** Whether a node, namespace or workload of the tenant named `tenantName` (undefined/null: platform) is readable. */
  tenantName(tenantName: string | null | undefined): boolean;
  /** Names of policies this person may not read, to redact from anything that names policies. */
  hiddenPolicyNames: ReadonlySet<string>;
  /** Names of namespaces of tenants this person may not read: their workloads are not listed. */
  hiddenNamespaces: ReadonlySet<string>;
}

export const EVERYTHING: Visibility = { scoped: false, tenantName: () => true, hiddenPolicyNames: new Set(), hiddenNamespaces: new Set() };

export async function visibilityOf(db: Queryable, actor: Actor): Promise<Visibility> {
  const readable = readableTenantIds(actor);
  if (readable === undefined) return EVERYTHING;
  const [tenantRows, policyRows, namespaceRows] = await Promise.all([
    db.select({ id: tenants.id, name: tenants.name }).from(tenants),
    db.select({ name: policies.name, tenantId: policies.tenantId }).from(policies).where(isNotNull(policies.tenantId)),
    db.select({ name: namespaces.name, tenantId: namespaces.tenantId }).from(namespaces).where(isNotNull(namespaces.tenantId)),
  ]);
  const readableNames = new Set(tenantRows.filter((t) => readable.includes(t.id)).map((t) => t.name));
  return {
    scoped: true,
    tenantName: (name) => name === null || name === undefined || readableNames.has(name),
    hiddenPolicyNames: new Set(policyRows.filter((p) => !mayReadTenant(actor, p.tenantId)).map((p) => p.name)),
    hiddenNamespaces: new Set(namespaceRows.filter((n) => !mayReadTenant(actor, n.tenantId)).map((n) => n.name)),
  };
}

/** Anything of a tenant the actor may not read answers as a missing thing: existence is not leaked. */
export function requireReadable<T extends { tenantId: string | null }>(actor: Actor, row: T | undefined, notFound: () => NotFound): T {
  if (!row || !mayReadTenant(actor, row.tenantId)) throw notFound();
  return row;
}

const NAME_CHAR = "[A-Za-z0-9.-]";
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Replaces every hidden policy name inside any string of `value` (deeply: rationale texts,
 * lint messages, step references) with a neutral phrase. Whole names only, never a part of a longer name.
 */
export function redactPolicyNames<T>(value: T, visibility: Visibility): T {
  if (visibility.hiddenPolicyNames.size === 0) return value;
  const names = [...visibility.hiddenPolicyNames].sort((a, b) => b.length - a.length).map(escapeRegExp);
  const pattern = new RegExp(`(?<!${NAME_CHAR})(?:${names.join("|")})(?!${NAME_CHAR})`, "g");
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return v.replace(pattern, HIDDEN_POLICY_LABEL);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === "object" && !(v instanceof Date)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}
