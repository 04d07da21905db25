import "server-only";
// Reviewing change requests: the approver's queue, a change's comments and timeline. Anyone who
// may read a change may read and write its comments; the services check that per change.
import { addComment } from "@/server/comments/add";
import { listComments } from "@/server/comments/list";
import { addCommentInput, listCommentsInput } from "@/server/comments/schemas";
import { reviewQueue } from "@/server/reviews/queue";
import { timelineInput } from "@/server/reviews/schemas";
import { changeTimeline } from "@/server/reviews/timeline";
import { protectedProcedure, router } from "../init";

export const reviewsRouter = router({
  queue: protectedProcedure.query(({ ctx }) => reviewQueue({ ctx: ctx.service })),
  timeline: protectedProcedure.input(timelineInput).query(({ ctx, input }) => changeTimeline({ ctx: ctx.service, input })),
  comments: protectedProcedure.input(listCommentsInput).query(({ ctx, input }) => listComments({ ctx: ctx.service, input })),
  comment: protectedProcedure.input(addCommentInput).mutation(({ ctx, input }) => addComment({ ctx: ctx.service, input })),
});
