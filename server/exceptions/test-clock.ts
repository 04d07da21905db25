import "server-only";
// Moving a test server's clock (POLICYPLANE_TEST_CLOCK=on only): admins only,
// audited, and the sweeper runs at the new time at once.
import type { Database } from "@/db/client";
import { recordAudit } from "@/server/audit/record";
import { requireRole } from "@/server/auth/authorize";
import { moveTestClock, serverNow } from "@/server/clock";
import { withTransaction, type ServiceContext } from "@/server/context";
import type { SetTestClockInput } from "./schemas";
import { sweepExceptions } from "./sweep";

export async function setTestClock({ ctx, input }: { ctx: ServiceContext; input: SetTestClockInput }) {
  requireRole(ctx.actor, "admin");
  const before = serverNow();
  const now = moveTestClock(new Date(input.at));
  await withTransaction(ctx, (tx) =>
    recordAudit(tx, {
      action: "test_clock.moved",
      targetType: "clock",
      targetId: "server",
      targetLabel: "Test server clock",
      before: { now: before.toISOString() },
      after: { now: now.toISOString() },
    }),
  );
  const sweep = await sweepExceptions(ctx.db as Database, now);
  return { now: now.toISOString(), sweep };
}
