import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { apiTokens, clusters, tokenRotations } from "@/db/schema";
import { testDatabaseKind } from "@/db/testing";
import { createApiApp } from "@/server/api/app";
import { callerFor } from "@/server/testing/actors";
import { useSeededDatabase } from "@/server/testing/database";

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

describe(`API token expiry policy and rotation on ${testDatabaseKind()}`, () => {
  const database = useSeededDatabase();
  const api = createApiApp(async () => database().db);
  const whoami = (token: string) => api.request("/api/v1/whoami", { headers: { authorization: `Bearer ${token}` } });
  const admin = () => callerFor(database().db, "alex.admin@acme.example");
  const stored = async (id: string) => (await database().db.select().from(apiTokens).where(eq(apiTokens.id, id)))[0]!;

  it("gives a token 90 days when no expiry is asked for", async () => {
    const before = Date.now();
    const created = await (
      await admin()
    ).settings.createToken({ name: "default expiry", role: "viewer", tenantId: null, scopes: ["decide"] });
    const row = await stored(created.id);
    expect(row.expiresAt!.getTime()).toBeGreaterThanOrEqual(before + 90 * DAY_MS);
    expect(row.expiresAt!.getTime()).toBeLessThanOrEqual(Date.now() + 90 * DAY_MS);
    expect(created.expiresAt).toEqual(row.expiresAt);
  });

  it("refuses more than the admin-set maximum, and 'never' while there is a maximum", async () => {
    const caller = await admin();
    const base = { role: "viewer" as const, tenantId: null, scopes: ["decide" as const] };
    await expect(caller.settings.createToken({ ...base, name: "too long", expiresInDays: 366 })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: "Tokens may live at most 365 days (the admin-set maximum); 366 days is too long.",
    });
    await expect(caller.settings.createToken({ ...base, name: "forever", expiresInDays: null })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: "Tokens must expire: the admin-set maximum is 365 days. Give a number of days (at most 365).",
    });
    const ok = await caller.settings.createToken({ ...base, name: "a year", expiresInDays: 365 });
    expect((await stored(ok.id)).expiresAt!.getTime()).toBeGreaterThan(Date.now() + 364 * DAY_MS);

    // An admin lowers the maximum: the default shrinks to it, and longer asks are refused.
    const settings = await caller.settings.tokenSettings();
    expect(settings).toMatchObject({ maxExpiryDays: 365, version: 1 });
    await caller.settings.updateTokenSettings({ maxExpiryDays: 30, expectedVersion: 1 });
    await expect(caller.settings.updateTokenSettings({ maxExpiryDays: 60, expectedVersion: 1 })).rejects.toMatchObject({
      code: "CONFLICT",
    });
    const short = await caller.settings.createToken({ ...base, name: "short default" });
    const shortExpiry = (await stored(short.id)).expiresAt!.getTime();
    expect(shortExpiry).toBeLessThanOrEqual(Date.now() + 30 * DAY_MS);
    expect(shortExpiry).toBeGreaterThan(Date.now() + 29 * DAY_MS);
    await expect(caller.settings.createToken({ ...base, name: "ninety", expiresInDays: 90 })).rejects.toMatchObject({
      message: "Tokens may live at most 30 days (the admin-set maximum); 90 days is too long.",
    });

    // No maximum: "never" is allowed.
    await caller.settings.updateTokenSettings({ maxExpiryDays: null, expectedVersion: 2 });
    const forever = await caller.settings.createToken({ ...base, name: "forever", expiresInDays: null });
    expect((await stored(forever.id)).expiresAt).toBeNull();
    const events = await caller.audit.list({ action: "token.settings_changed" });
    expect(events.events.map((e) => e.actorLabel)).toEqual(["alex.admin@acme.example", "alex.admin@acme.example"]);

    // Non-admins neither read nor change the limits.
    const author = await callerFor(database().db, "priya.payments@acme.example");
    await expect(author.settings.updateTokenSettings({ maxExpiryDays: null, expectedVersion: 3 })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    await expect(author.settings.rotateToken({ tokenId: forever.id })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await caller.settings.updateTokenSettings({ maxExpiryDays: 365, expectedVersion: 3 });
  });

  it("rotates a token: same shape, both work during the grace period, the old one not after it; audited", async () => {
    const caller = await admin();
    const [cluster] = await database().db.select().from(clusters).limit(1);
    const old = await caller.settings.createToken({
      name: "prod agent",
      role: "viewer",
      tenantId: null,
      scopes: ["decide", "flows"],
      clusterId: cluster!.id,
      expiresInDays: 30,
    });
    const before = Date.now();
    const fresh = await caller.settings.rotateToken({ tokenId: old.id, graceHours: 24 });
    expect(fresh.token).not.toBe(old.token);
    const [oldRow, newRow] = [await stored(old.id), await stored(fresh.id)];
    expect(newRow).toMatchObject({
      name: "prod agent",
      role: "viewer",
      tenantId: null,
      scopes: ["decide", "flows"],
      clusterId: cluster!.id,
    });
    expect(newRow.expiresAt!.getTime()).toBeGreaterThanOrEqual(before + 90 * DAY_MS);
    expect(oldRow.expiresAt!.getTime()).toBeGreaterThanOrEqual(before + 24 * HOUR_MS);
    expect(oldRow.expiresAt!.getTime()).toBeLessThanOrEqual(Date.now() + 24 * HOUR_MS);
    expect(fresh.oldValidUntil).toEqual(oldRow.expiresAt);

    // Both work during the grace period.
    expect((await whoami(old.token)).status).toBe(200);
    expect((await whoami(fresh.token)).status).toBe(200);

    // The table shows the rotation.
    const listed = (await caller.settings.tokens()).find((t) => t.id === old.id)!;
    expect(listed).toMatchObject({ rotatedToId: fresh.id, oldValidUntil: oldRow.expiresAt });
    expect((await caller.settings.tokens()).find((t) => t.id === fresh.id)!.rotatedToId).toBeNull();

    const events = await caller.audit.list({ action: "token.rotated" });
    expect(events.events[0]).toMatchObject({ targetId: old.id, actorLabel: "alex.admin@acme.example" });

    // A token is rotated once; its replacement is the one to rotate next.
    await expect(caller.settings.rotateToken({ tokenId: old.id })).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringContaining("already rotated"),
    });

    // After the grace period the old token is refused, the new one still works.
    await database()
      .db.update(apiTokens)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(apiTokens.id, old.id));
    expect((await whoami(old.token)).status).toBe(401);
    expect((await whoami(fresh.token)).status).toBe(200);
  });

  it("never extends a token by rotating it, and refuses revoked or expired ones", async () => {
    const caller = await admin();
    const base = { role: "viewer" as const, tenantId: null, scopes: ["decide" as const], expiresInDays: 1 };
    const soon = await caller.settings.createToken({ ...base, name: "expires soon" });
    const soonExpiry = new Date(Date.now() + HOUR_MS);
    await database().db.update(apiTokens).set({ expiresAt: soonExpiry }).where(eq(apiTokens.id, soon.id));
    const rotated = await caller.settings.rotateToken({ tokenId: soon.id, graceHours: 48 });
    expect(rotated.oldValidUntil).toEqual(soonExpiry);
    const [rotation] = await database().db.select().from(tokenRotations).where(eq(tokenRotations.oldTokenId, soon.id));
    expect(rotation).toMatchObject({ newTokenId: rotated.id, oldValidUntil: soonExpiry, rotatedBy: "alex.admin@acme.example" });

    // Zero grace: the old token stops at once.
    const now = await caller.settings.createToken({ ...base, name: "cut over now" });
    const cut = await caller.settings.rotateToken({ tokenId: now.id, graceHours: 0 });
    expect((await whoami(now.token)).status).toBe(401);
    expect((await whoami(cut.token)).status).toBe(200);

    const revoked = await caller.settings.createToken({ ...base, name: "revoked" });
    await caller.settings.revokeToken({ tokenId: revoked.id });
    await expect(caller.settings.rotateToken({ tokenId: revoked.id })).rejects.toMatchObject({
      code: "CONFLICT",
      message: "Token revoked (ppt_" + (await stored(revoked.id)).prefix + "_…) is revoked; create a new token instead of rotating it.",
    });
    await expect(caller.settings.rotateToken({ tokenId: revoked.id, graceHours: -1 })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(caller.settings.rotateToken({ tokenId: "00000000-0000-4000-8000-000000000000" })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  });
});
