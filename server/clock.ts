import "server-only";
// The server's clock. It is the wall clock, except on a test server
// (POLICYPLANE_TEST_CLOCK=on, which env.ts refuses unless the server listens
// on loopback only), where an admin may move it forward so e2e tests of
// exception expiry never sleep. Every evaluation of exceptions reads it.
import { env } from "@/server/env";
import { Forbidden, InvalidInput } from "@/server/errors";
import { perProcess } from "@/server/lib/per-process";

const clock = perProcess("TestClock", () => ({ offsetMs: 0 }));

export function serverNow(): Date {
  return new Date(Date.now() + clock().offsetMs);
}

export function testClockEnabled(): boolean {
  try {
    return env().POLICYPLANE_TEST_CLOCK === "on";
  } catch {
    return false;
  }
}

/** Moves the test server's clock to `at` (forward only). Refused on a server without POLICYPLANE_TEST_CLOCK=on. */
export function moveTestClock(at: Date): Date {
  if (!testClockEnabled())
    throw new Forbidden("This server's clock is the wall clock: it can be moved only on a test server (POLICYPLANE_TEST_CLOCK=on).");
  const offset = at.getTime() - Date.now();
  if (offset < clock().offsetMs) throw new InvalidInput("The test clock only moves forward.", "at");
  clock().offsetMs = offset;
  return serverNow();
}
