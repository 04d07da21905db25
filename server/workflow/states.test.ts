import { describe, expect, it } from "vitest";
import { CHANGE_REQUEST_STATES } from "@/lib/vocabulary";
import { Conflict } from "@/server/errors";
import { CHANGE_ACTIONS, legalActions, nextState, requireTransition } from "./states";

describe("change request state machine", () => {
  it("allows exactly the moves of the lifecycle", () => {
    const table = Object.fromEntries(
      CHANGE_REQUEST_STATES.map((s) => [s, Object.fromEntries(legalActions(s).map((a) => [a, nextState(s, a)]))]),
    );
    expect(table).toEqual({
      draft: { submit: "in-review", withdraw: "withdrawn", edit: "draft" },
      "in-review": {
        approve: "approved",
        "request-changes": "changes-requested",
        reject: "rejected",
        withdraw: "withdrawn",
        edit: "in-review",
        "emergency-release": "released",
      },
      "changes-requested": { resubmit: "in-review", reject: "rejected", withdraw: "withdrawn", edit: "changes-requested" },
      approved: {
        approve: "approved",
        "request-changes": "changes-requested",
        reject: "rejected",
        withdraw: "withdrawn",
        edit: "in-review",
        release: "released",
        "emergency-release": "released",
      },
      released: { "roll-out": "rolled-out" },
      "rolled-out": {},
      rejected: {},
      withdrawn: {},
    });
  });

  it("refuses every other move with a CONFLICT naming the request and why", () => {
    for (const state of CHANGE_REQUEST_STATES) {
      for (const action of CHANGE_ACTIONS) {
        if (nextState(state, action)) continue;
        expect(() => requireTransition(7, state, action)).toThrow(Conflict);
        expect(() => requireTransition(7, state, action)).toThrow(/^Change request #7 cannot be [a-z ]+: .+\.$/);
      }
    }
    expect(() => requireTransition(3, "in-review", "release")).toThrow(
      "Change request #3 cannot be released: it is in review and not approved yet.",
    );
    expect(() => requireTransition(3, "released", "release")).toThrow("Change request #3 cannot be released: it is already released.");
  });
});
