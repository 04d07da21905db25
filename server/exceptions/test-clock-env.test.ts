// The movable clock is a test server's only: refused unless the server listens on loopback.
import { describe, expect, it } from "vitest";
import { parseEnv } from "@/server/env";

describe("the test clock's guard", () => {
  it("is off unless asked for", () => {
    expect(parseEnv({}).POLICYPLANE_TEST_CLOCK).toBe("off");
  });

  it("refuses to start with a movable clock on an address other machines can reach", () => {
    expect(() => parseEnv({ POLICYPLANE_TEST_CLOCK: "on", HOST: "0.0.0.0", POLICYPLANE_DEMO: "off" })).toThrow(
      /POLICYPLANE_TEST_CLOCK: a movable clock is for tests on this machine only; HOST=0\.0\.0\.0/,
    );
    expect(parseEnv({ POLICYPLANE_TEST_CLOCK: "on", HOST: "127.0.0.1" }).POLICYPLANE_TEST_CLOCK).toBe("on");
  });
});
