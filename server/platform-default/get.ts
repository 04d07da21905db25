import "server-only";
// The platform default in force (the highest version) and its history. Every
// reader of the default (graph, lint, editor analysis, compile) reads it here.
import { desc, eq, inArray, isNull, lte, or } from "drizzle-orm";
import type { Queryable } from "@/db/client";
import { changeRequestPlatformDefaults, changeRequests, platformDefaultVersions } from "@/db/schema";
import { OPEN_CHANGE_REQUEST_STATES } from "@/lib/vocabulary";
import type { ServiceContext } from "@/server/context";
import { PLATFORM_DEFAULT_OFF, type PlatformDefault } from "@/server/policy/model";
import { describePlatformDefaultChange, loosensPlatformDefault } from "./change";

export interface PlatformDefaultVersion extends PlatformDefault {
  /** 0 when no version exists (a database without the migration's first version): off. */
  version: number;
  authorLabel: string;
  message: string;
  createdAt: Date | null;
  /** The release that put it in force (null: before changes went through the approval workflow). */
  releaseNumber: number | null;
}

const toVersion = (r: typeof platformDefaultVersions.$inferSelect): PlatformDefaultVersion => ({
  version: r.version,
  enabled: r.enabled,
  excludeNamespaces: [...r.excludeNamespaces].sort(),
  authorLabel: r.authorLabel,
  message: r.message,
  createdAt: r.createdAt,
  releaseNumber: r.releaseNumber,
});

export async function platformDefaultInForce(db: Queryable): Promise<PlatformDefaultVersion> {
  const [row] = await db.select().from(platformDefaultVersions).orderBy(desc(platformDefaultVersions.version)).limit(1);
  return row
    ? toVersion(row)
    : { ...PLATFORM_DEFAULT_OFF, excludeNamespaces: [], version: 0, authorLabel: "", message: "", createdAt: null, releaseNumber: null };
}

/**
 * The platform default release `number` carries: the newest version released with it or before it
 * (versions from before the approval workflow name no release and count from the start). A cluster
 * whose desired release is an older one keeps that release's default until the newer one reaches it.
 */
export async function platformDefaultOfRelease(db: Queryable, number: number): Promise<PlatformDefaultVersion> {
  const [row] = await db
    .select()
    .from(platformDefaultVersions)
    .where(or(isNull(platformDefaultVersions.releaseNumber), lte(platformDefaultVersions.releaseNumber, number)))
    .orderBy(desc(platformDefaultVersions.version))
    .limit(1);
  return row ? toVersion(row) : platformDefaultInForce(db);
}

/** The platform default in force and its recent versions: everyone signed in may read it, since it decides what every cluster enforces. */
export async function getPlatformDefault({ ctx }: { ctx: ServiceContext }): Promise<{
  current: PlatformDefaultVersion;
  history: PlatformDefaultVersion[];
  /** The open change request proposing a change, if any (one at a time). */
  proposed: { number: number; title: string; state: string } | null;
}> {
  const [current, history, proposed] = await Promise.all([
    platformDefaultInForce(ctx.db),
    platformDefaultHistory(ctx.db),
    openPlatformDefaultChange(ctx.db),
  ]);
  return { current, history, proposed };
}

/** The platform default change request still open (draft, in review, changes requested or approved), if any. */
export async function openPlatformDefaultChange(db: Queryable): Promise<{ number: number; title: string; state: string } | null> {
  const [open] = await db
    .select({ number: changeRequests.number, title: changeRequests.title, state: changeRequests.state })
    .from(changeRequestPlatformDefaults)
    .innerJoin(changeRequests, eq(changeRequests.id, changeRequestPlatformDefaults.changeRequestId))
    .where(inArray(changeRequests.state, [...OPEN_CHANGE_REQUEST_STATES]))
    .limit(1);
  return open ?? null;
}

async function platformDefaultHistory(db: Queryable, limit = 20): Promise<PlatformDefaultVersion[]> {
  const rows = await db.select().from(platformDefaultVersions).orderBy(desc(platformDefaultVersions.version)).limit(limit);
  return rows.map(toVersion);
}

/** The name the approval rules and the checklist give the platform default's edit. */
export const PLATFORM_DEFAULT_EDIT = "platform default";

export interface PlatformDefaultChange {
  fromVersion: number;
  from: PlatformDefault;
  to: PlatformDefault;
  loosens: boolean;
  /** One phrase per difference ("turns it off", "leaves kube-system out"). */
  summary: string[];
}

export const setting = (r: { enabled: boolean; excludeNamespaces: readonly string[] }): PlatformDefault => ({
  enabled: r.enabled,
  excludeNamespaces: [...r.excludeNamespaces].sort(),
});

/** The platform default change a change request is, if it is one. */
export async function platformDefaultChangeOf(db: Queryable, changeRequestId: string): Promise<PlatformDefaultChange | null> {
  const [row] = await db
    .select({ p: changeRequestPlatformDefaults, from: platformDefaultVersions })
    .from(changeRequestPlatformDefaults)
    .leftJoin(platformDefaultVersions, eq(platformDefaultVersions.version, changeRequestPlatformDefaults.fromVersion))
    .where(eq(changeRequestPlatformDefaults.changeRequestId, changeRequestId));
  if (!row) return null;
  // Version 0 (none written yet) is "off".
  const from = row.from ? setting(row.from) : { enabled: false, excludeNamespaces: [] };
  return platformDefaultChange(row.p.fromVersion, from, setting(row.p));
}

/** Changing `from` (version `fromVersion`, in force) to `to`, as the approval rules and the change page read it. */
export const platformDefaultChange = (fromVersion: number, from: PlatformDefault, to: PlatformDefault): PlatformDefaultChange => ({
  fromVersion,
  from,
  to,
  loosens: loosensPlatformDefault(from, to),
  summary: describePlatformDefaultChange(from, to),
});
