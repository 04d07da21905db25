import { getRelease, listReleases } from "@/server/releases/list";
import { releaseNumberInput } from "@/server/releases/schemas";
import { protectedProcedure, router } from "../init";

export const releasesRouter = router({
  list: protectedProcedure.query(({ ctx }) => listReleases({ ctx: ctx.service })),
  get: protectedProcedure.input(releaseNumberInput).query(({ ctx, input }) => getRelease({ ctx: ctx.service, input })),
});
