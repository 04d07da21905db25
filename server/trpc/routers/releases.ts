import "server-only";
import { diffReleases } from "@/server/releases/diff";
import { createFreeze, endFreeze, listFreezes } from "@/server/releases/freezes";
import { getRelease, listReleases } from "@/server/releases/list";
import { createFreezeInput, endFreezeInput, releaseDiffInput, releaseNumberInput } from "@/server/releases/schemas";
import { adminProcedure, protectedProcedure, router } from "../init";

export const releasesRouter = router({
  list: protectedProcedure.query(({ ctx }) => listReleases({ ctx: ctx.service })),
  get: protectedProcedure.input(releaseNumberInput).query(({ ctx, input }) => getRelease({ ctx: ctx.service, input })),
  diff: protectedProcedure.input(releaseDiffInput).query(({ ctx, input }) => diffReleases({ ctx: ctx.service, input })),
  freezes: protectedProcedure.query(({ ctx }) => listFreezes({ ctx: ctx.service })),
  createFreeze: adminProcedure.input(createFreezeInput).mutation(({ ctx, input }) => createFreeze({ ctx: ctx.service, input })),
  endFreeze: adminProcedure.input(endFreezeInput).mutation(({ ctx, input }) => endFreeze({ ctx: ctx.service, input })),
});
