import "server-only";
import { diffReleases } from "@/server/releases/diff";
import { createFreeze, endFreeze, listFreezes } from "@/server/releases/freezes";
import { getRelease, listReleases } from "@/server/releases/list";
import { acknowledgeEmergencyReview, proposeRollback } from "@/server/releases/rollback";
import { getStagedRender } from "@/server/releases/staged";
import { getRollout, pauseRollout, reportClusterStatus, resumeRollout, rolloutNextWave } from "@/server/releases/rollout";
import {
  acknowledgeReviewInput,
  clusterStatusInput,
  createFreezeInput,
  endFreezeInput,
  releaseDiffInput,
  releaseNumberInput,
  rollbackInput,
} from "@/server/releases/schemas";
import { adminProcedure, protectedProcedure, router } from "../init";

export const releasesRouter = router({
  list: protectedProcedure.query(({ ctx }) => listReleases({ ctx: ctx.service })),
  get: protectedProcedure.input(releaseNumberInput).query(({ ctx, input }) => getRelease({ ctx: ctx.service, input })),
  diff: protectedProcedure.input(releaseDiffInput).query(({ ctx, input }) => diffReleases({ ctx: ctx.service, input })),
  freezes: protectedProcedure.query(({ ctx }) => listFreezes({ ctx: ctx.service })),
  createFreeze: adminProcedure.input(createFreezeInput).mutation(({ ctx, input }) => createFreeze({ ctx: ctx.service, input })),
  endFreeze: adminProcedure.input(endFreezeInput).mutation(({ ctx, input }) => endFreeze({ ctx: ctx.service, input })),
  /** The release's staged (audit-only) versions and what each cluster renders of them. */
  staged: protectedProcedure.input(releaseNumberInput).query(({ ctx, input }) => getStagedRender({ ctx: ctx.service, input })),
  rollout: protectedProcedure.input(releaseNumberInput).query(({ ctx, input }) => getRollout({ ctx: ctx.service, input })),
  rolloutNextWave: adminProcedure.input(releaseNumberInput).mutation(({ ctx, input }) => rolloutNextWave({ ctx: ctx.service, input })),
  pauseRollout: adminProcedure.input(releaseNumberInput).mutation(({ ctx, input }) => pauseRollout({ ctx: ctx.service, input })),
  resumeRollout: adminProcedure.input(releaseNumberInput).mutation(({ ctx, input }) => resumeRollout({ ctx: ctx.service, input })),
  clusterStatus: adminProcedure.input(clusterStatusInput).mutation(({ ctx, input }) => reportClusterStatus({ ctx: ctx.service, input })),
  rollback: adminProcedure.input(rollbackInput).mutation(({ ctx, input }) => proposeRollback({ ctx: ctx.service, input })),
  acknowledgeEmergencyReview: protectedProcedure
    .input(acknowledgeReviewInput)
    .mutation(({ ctx, input }) => acknowledgeEmergencyReview({ ctx: ctx.service, input })),
});
