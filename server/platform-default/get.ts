import "server-only";
// The platform default in force (the highest version) and its history. Every
// reader of the default (graph, lint, editor analysis, compile) reads it here.
import { desc } from "drizzle-orm";
import type { Queryable } from "@/db/client";
import { platformDefaultVersions } from "@/db/schema";
import type { ServiceContext } from "@/server/context";
import { PLATFORM_DEFAULT_OFF, type PlatformDefault } from "@/server/policy/model";

export interface PlatformDefaultVersion extends PlatformDefault {
  /** 0 when no version exists (a database without the migration's first version): off. */
  version: number;
  authorLabel: string;
  message: string;
  createdAt: Date | null;
}

const toVersion = (r: typeof platformDefaultVersions.$inferSelect): PlatformDefaultVersion => ({
  version: r.version,
  enabled: r.enabled,
  excludeNamespaces: [...r.excludeNamespaces].sort(),
  authorLabel: r.authorLabel,
  message: r.message,
  createdAt: r.createdAt,
});

export async function platformDefaultInForce(db: Queryable): Promise<PlatformDefaultVersion> {
  const [row] = await db.select().from(platformDefaultVersions).orderBy(desc(platformDefaultVersions.version)).limit(1);
  return row
    ? toVersion(row)
    : { ...PLATFORM_DEFAULT_OFF, excludeNamespaces: [], version: 0, authorLabel: "", message: "", createdAt: null };
}

/** The platform default in force and its recent versions: everyone signed in may read it, since it decides what every cluster enforces. */
export async function getPlatformDefault({
  ctx,
}: {
  ctx: ServiceContext;
}): Promise<{ current: PlatformDefaultVersion; history: PlatformDefaultVersion[] }> {
  return { current: await platformDefaultInForce(ctx.db), history: await platformDefaultHistory(ctx.db) };
}

async function platformDefaultHistory(db: Queryable, limit = 20): Promise<PlatformDefaultVersion[]> {
  const rows = await db.select().from(platformDefaultVersions).orderBy(desc(platformDefaultVersions.version)).limit(limit);
  return rows.map(toVersion);
}
