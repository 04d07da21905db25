import "server-only";
// What every service call carries: where to query, who is acting, and the
// request id that ties audit events to the request that caused them.
import type { Database, Queryable, Transaction } from "@/db/client";
import type { CommitteeFunction, Role, TokenScope } from "@/db/schema";

export interface MembershipGrant {
  tenantId: string | null;
  role: Role;
  committeeFunction: CommitteeFunction | null;
}

export type Actor =
  | { type: "user"; id: string; label: string; grants: MembershipGrant[] }
  | { type: "token"; id: string; label: string; grants: MembershipGrant[]; scopes: readonly TokenScope[]; clusterId: string | null }
  | { type: "system"; id: null; label: string; grants: MembershipGrant[] };

export interface ServiceContext {
  db: Queryable;
  actor: Actor;
  requestId: string;
  /** Set while ctx.db is an open transaction, so nested services reuse it. */
  inTransaction?: boolean;
}

/** What a service called before anyone is identified receives (the set-password link names its person itself). */
export type AnonymousContext = Omit<ServiceContext, "actor" | "inTransaction">;

export function systemActor(label = "system"): Actor {
  return { type: "system", id: null, label, grants: [{ tenantId: null, role: "admin", committeeFunction: null }] };
}

/** Runs fn in a transaction, reusing the one already open in ctx if there is one. */
export async function withTransaction<T>(ctx: ServiceContext, fn: (txCtx: ServiceContext) => Promise<T>): Promise<T> {
  if (ctx.inTransaction) return fn(ctx);
  return (ctx.db as Database).transaction((tx: Transaction) => fn({ ...ctx, db: tx, inTransaction: true }));
}
