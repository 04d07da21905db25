import "server-only";
// The review workflow of change requests (issue 13). Rights are checked in the
// services, which know the change's rules, authors and tenant.
import { approveChange } from "@/server/workflow/approve";
import { rejectChange, requestChanges } from "@/server/workflow/decide";
import { editChange } from "@/server/workflow/edit";
import { getChangeReview } from "@/server/workflow/get-review";
import {
  approveChangeInput,
  changeNumberInput,
  decideChangeInput,
  editChangeInput,
  promoteChangeInput,
  rebaseChangeInput,
  releaseChangeInput,
  setStagedInput,
} from "@/server/workflow/schemas";
import { promoteChange } from "@/server/workflow/promote";
import { setStaged } from "@/server/workflow/stage";
import { getRebase, rebaseChange } from "@/server/workflow/rebase";
import { submitChange } from "@/server/workflow/submit";
import { withdrawChange } from "@/server/workflow/withdraw";
import { releaseChange } from "@/server/releases/release";
import { protectedProcedure, router } from "../init";

export const workflowRouter = router({
  review: protectedProcedure.input(changeNumberInput).query(({ ctx, input }) => getChangeReview({ ctx: ctx.service, input })),
  approve: protectedProcedure.input(approveChangeInput).mutation(({ ctx, input }) => approveChange({ ctx: ctx.service, input })),
  requestChanges: protectedProcedure.input(decideChangeInput).mutation(({ ctx, input }) => requestChanges({ ctx: ctx.service, input })),
  reject: protectedProcedure.input(decideChangeInput).mutation(({ ctx, input }) => rejectChange({ ctx: ctx.service, input })),
  withdraw: protectedProcedure.input(decideChangeInput).mutation(({ ctx, input }) => withdrawChange({ ctx: ctx.service, input })),
  submit: protectedProcedure.input(decideChangeInput).mutation(({ ctx, input }) => submitChange({ ctx: ctx.service, input })),
  edit: protectedProcedure.input(editChangeInput).mutation(({ ctx, input }) => editChange({ ctx: ctx.service, input })),
  /** The three-way merge a rebase onto the current release would make, per policy the release moved on. */
  rebasePlan: protectedProcedure.input(changeNumberInput).query(({ ctx, input }) => getRebase({ ctx: ctx.service, input })),
  rebase: protectedProcedure.input(rebaseChangeInput).mutation(({ ctx, input }) => rebaseChange({ ctx: ctx.service, input })),
  /** Mark the change staged (released audit-only, never enforced) or enforced again: voids approvals like an edit. */
  setStaged: protectedProcedure.input(setStagedInput).mutation(({ ctx, input }) => setStaged({ ctx: ctx.service, input })),
  /** A new draft change enforcing what a released staged change staged, linked to it. */
  promote: protectedProcedure.input(promoteChangeInput).mutation(({ ctx, input }) => promoteChange({ ctx: ctx.service, input })),
  release: protectedProcedure.input(releaseChangeInput).mutation(({ ctx, input }) => releaseChange({ ctx: ctx.service, input })),
});
