import "server-only";
// The difference between any two releases: every policy or constraint added,
// removed or moved to another version between them, with both versions' YAML
// for the side-by-side diff, the platform default each compiles with, and the
// active exceptions that differ.
import { and, eq, inArray, or } from "drizzle-orm";
import { policyVersions, releaseEntries, releases } from "@/db/schema";
import { documentToYaml } from "@/lib/policy-yaml";
import { mayReadTenant } from "@/server/auth/authorize";
import type { ServiceContext } from "@/server/context";
import { NotFound } from "@/server/errors";
import { describePlatformDefaultChange, formatPlatformDefault } from "@/server/platform-default/change";
import { platformDefaultOfRelease } from "@/server/platform-default/get";
import type { ReleaseDiffInput } from "./schemas";

export interface ReleasePolicyChange {
  name: string;
  kind: string;
  tier: string;
  change: "added" | "removed" | "changed";
  fromVersion: number | null;
  toVersion: number | null;
  fromYaml: string;
  toYaml: string;
}

export async function diffReleases({ ctx, input }: { ctx: ServiceContext; input: ReleaseDiffInput }) {
  const rows = await ctx.db
    .select()
    .from(releases)
    .where(inArray(releases.number, [input.from, input.to]));
  const side = (n: number) => {
    const r = rows.find((x) => x.number === n);
    if (!r) throw new NotFound(`No release ${n}.`);
    return r;
  };
  const from = side(input.from);
  const to = side(input.to);
  const entries = await ctx.db
    .select()
    .from(releaseEntries)
    .where(inArray(releaseEntries.releaseId, [...new Set([from.id, to.id])]));
  // A tenant-scoped person compares what they may read; the rest only as a count.
  const readable = entries.filter((e) => mayReadTenant(ctx.actor, e.tenantId));
  const hidden = new Set(entries.filter((e) => !readable.includes(e)).map((e) => e.policyId)).size;
  const before = new Map(readable.filter((e) => e.releaseId === from.id).map((e) => [e.policyId, e]));
  const after = new Map(readable.filter((e) => e.releaseId === to.id).map((e) => [e.policyId, e]));
  const moved = [...new Set([...before.keys(), ...after.keys()])].filter((id) => before.get(id)?.version !== after.get(id)?.version);
  const wanted = moved.flatMap((policyId) =>
    [before.get(policyId)?.version, after.get(policyId)?.version]
      .filter((v): v is number => v !== undefined)
      .map((version) => ({ policyId, version })),
  );
  const versions = wanted.length
    ? await ctx.db
        .select({ policyId: policyVersions.policyId, version: policyVersions.version, document: policyVersions.document })
        .from(policyVersions)
        .where(or(...wanted.map((w) => and(eq(policyVersions.policyId, w.policyId), eq(policyVersions.version, w.version)))))
    : [];
  const yamlOf = (policyId: string, version: number | undefined) => {
    const v = version === undefined ? undefined : versions.find((x) => x.policyId === policyId && x.version === version);
    return v ? documentToYaml(v.document) : "";
  };
  const policies: ReleasePolicyChange[] = moved
    .map((policyId) => {
      const b = before.get(policyId);
      const a = after.get(policyId);
      const e = (a ?? b)!;
      return {
        name: e.name,
        kind: e.kind,
        tier: e.tier,
        change: !b ? ("added" as const) : !a ? ("removed" as const) : ("changed" as const),
        fromVersion: b?.version ?? null,
        toVersion: a?.version ?? null,
        fromYaml: yamlOf(policyId, b?.version),
        toYaml: yamlOf(policyId, a?.version),
      };
    })
    .sort((x, y) => x.name.localeCompare(y.name));
  // A release is its policy set and the platform default its clusters compile it with: both differ.
  const [defaultFrom, defaultTo] = await Promise.all([
    platformDefaultOfRelease(ctx.db, from.number),
    platformDefaultOfRelease(ctx.db, to.number),
  ]);
  const defaultSide = (d: typeof defaultFrom) => ({ version: d.version, setting: formatPlatformDefault(d) });
  const summary = (r: typeof from) => ({
    number: r.number,
    title: r.title,
    createdAt: r.createdAt,
    policySetHash: r.policySetHash,
    emergency: r.emergencyReason !== null,
  });
  return {
    from: summary(from),
    to: summary(to),
    /** Equal policy sets (e.g. a rollback to the other release). */
    samePolicySet: from.policySetHash === to.policySetHash,
    policies,
    unchanged: [...after.keys()].filter((id) => before.get(id)?.version === after.get(id)?.version).length,
    hiddenPolicies: hidden,
    platformDefault: {
      from: defaultSide(defaultFrom),
      to: defaultSide(defaultTo),
      /** What going from `from` to `to` does to it (empty: the same setting). */
      changes: describePlatformDefaultChange(defaultFrom, defaultTo),
    },
    exceptions: {
      added: to.exceptionIds.filter((id) => !from.exceptionIds.includes(id)),
      removed: from.exceptionIds.filter((id) => !to.exceptionIds.includes(id)),
    },
  };
}
