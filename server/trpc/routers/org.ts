import "server-only";
import { listClusters, listTenants } from "@/server/org/list";
import { getMe } from "@/server/org/me";
import { protectedProcedure, router, sessionProcedure } from "../init";

export const orgRouter = router({
  me: sessionProcedure.query(({ ctx }) => getMe({ ctx: ctx.service })),
  tenants: protectedProcedure.query(({ ctx }) => listTenants({ ctx: ctx.service })),
  clusters: protectedProcedure.query(({ ctx }) => listClusters({ ctx: ctx.service })),
});
