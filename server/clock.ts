import "server-only";
// The server's clock. It is the wall clock, except on a test server
// (POLICYPLANE_TEST_CLOCK=on, which env.ts refuses unless the server listens
// on loopback only), where an admin may move it forward so e2e tests of
// exception expiry never sleep. Every evaluation of exceptions reads it.
import { env } from "@/server/env";
import { Forbidden, InvalidInput } from "@/server/errors";

// On globalThis: route handlers and the instrumentation may be separate bundles.
const state = globalThis as unknown as { policyplaneClockOffsetMs?: number };

export function serverNow(): Date {
  return new Date(Date.now() + (state.policyplaneClockOffsetMs ?? 0));
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
  if (offset < (state.policyplaneClockOffsetMs ?? 0)) throw new InvalidInput("The test clock only moves forward.", "at");
  state.policyplaneClockOffsetMs = offset;
  return serverNow();
}
