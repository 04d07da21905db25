// The change request's state machine (issue 13): which action moves a request
// from which state to which. Pure: the services lock the request, ask here,
// write the new state and its audit event in one transaction.
import type { ChangeRequestState } from "@/lib/vocabulary";
import { Conflict } from "@/server/errors";

export const CHANGE_ACTIONS = [
  "submit",
  "approve",
  "request-changes",
  "resubmit",
  "reject",
  "withdraw",
  "edit",
  "release",
  "emergency-release",
  "roll-out",
] as const;
export type ChangeAction = (typeof CHANGE_ACTIONS)[number];

/**
 * Legal moves. "approve" goes to approved only when the quorum is met (the
 * service decides; otherwise the state stays in-review); "edit" of an approved
 * request voids its approvals and sends it back to review.
 */
const MOVES: Record<ChangeAction, Partial<Record<ChangeRequestState, ChangeRequestState>>> = {
  submit: { draft: "in-review" },
  approve: { "in-review": "approved", approved: "approved" },
  "request-changes": { "in-review": "changes-requested", approved: "changes-requested" },
  resubmit: { "changes-requested": "in-review" },
  reject: { "in-review": "rejected", "changes-requested": "rejected", approved: "rejected" },
  withdraw: { draft: "withdrawn", "in-review": "withdrawn", "changes-requested": "withdrawn", approved: "withdrawn" },
  edit: { draft: "draft", "in-review": "in-review", "changes-requested": "changes-requested", approved: "in-review" },
  release: { approved: "released" },
  "emergency-release": { "in-review": "released", approved: "released" },
  "roll-out": { released: "rolled-out" },
};

const VERB: Record<ChangeAction, string> = {
  submit: "submitted for review",
  approve: "approved",
  "request-changes": "sent back for changes",
  resubmit: "resubmitted",
  reject: "rejected",
  withdraw: "withdrawn",
  edit: "edited",
  release: "released",
  "emergency-release": "released through the emergency rule",
  "roll-out": "marked rolled out",
};

/** Why a request in `state` cannot take any action: the words a refusal starts with. */
const WHY: Partial<Record<ChangeRequestState, string>> = {
  draft: "it is still a draft (submit it for review first)",
  "in-review": "it is in review and not approved yet",
  "changes-requested": "changes were requested (edit it and resubmit it first)",
  approved: "it is approved and waiting for release",
  released: "it is already released",
  "rolled-out": "it is released and rolled out",
  rejected: "it was rejected",
  withdrawn: "it was withdrawn",
};

export function nextState(state: ChangeRequestState, action: ChangeAction): ChangeRequestState | undefined {
  return MOVES[action][state];
}

/** The state `action` leads to from `state`, or a CONFLICT saying why the move is illegal. */
export function requireTransition(number: number, state: ChangeRequestState, action: ChangeAction): ChangeRequestState {
  const next = nextState(state, action);
  if (next) return next;
  throw new Conflict(`Change request #${number} cannot be ${VERB[action]}: ${WHY[state] ?? `it is ${state}`}.`);
}

/** Every (state, action) pair the machine allows, for the UI and for tests. */
export function legalActions(state: ChangeRequestState): ChangeAction[] {
  return CHANGE_ACTIONS.filter((a) => nextState(state, a) !== undefined);
}
