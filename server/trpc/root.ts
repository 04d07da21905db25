import { createCallerFactory, router } from "./init";
import { auditRouter } from "./routers/audit";
import { orgRouter } from "./routers/org";
import { overviewRouter } from "./routers/overview";
import { settingsRouter } from "./routers/settings";

export const appRouter = router({
  org: orgRouter,
  overview: overviewRouter,
  audit: auditRouter,
  settings: settingsRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
