// Test helpers: real actors for the seeded demo users, and a caller per actor.
import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import type { Database } from "@/db/client";
import { user } from "@/db/schema";
import { loadGrants } from "@/server/auth/authorize";
import type { TokenScope } from "@/lib/vocabulary";
import type { Actor } from "@/server/context";
import { createCaller } from "@/server/trpc/root";

export async function demoActor(db: Database, email: string): Promise<Actor> {
  const [row] = await db.select().from(user).where(eq(user.email, email));
  if (!row) throw new Error(`no demo user ${email}`);
  return { type: "user", id: row.id, label: row.email, grants: await loadGrants(db, row.id) };
}

export async function callerFor(db: Database, email: string | null) {
  const actor = email ? await demoActor(db, email) : null;
  return createCaller({ db, actor, requestId: `test-${randomUUID()}` });
}

/** A machine token the demo admin makes (role viewer, valid a day): its secret, for API tests. */
export async function demoToken(db: Database, name: string, scopes: TokenScope[], clusterId: string | null = null): Promise<string> {
  const admin = await callerFor(db, DEMO_PEOPLE.admin);
  return (await admin.settings.createToken({ name, role: "viewer", tenantId: null, scopes, clusterId, expiresInDays: 1 })).token;
}

/** The demo organisation's people the workflow tests act as (server/seed/demo-data.ts). */
export const DEMO_PEOPLE = {
  admin: "alex.admin@acme.example",
  author: "priya.payments@acme.example",
  security: "sam.security@acme.example",
  networking: "nina.network@acme.example",
  paymentsCommittee: "dana.payments-committee@acme.example",
  viewer: "avery.audit@acme.example",
} as const;
