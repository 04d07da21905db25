import "server-only";
import { createCallerFactory, router } from "./init";
import { accountRouter } from "./routers/account";
import { auditRouter } from "./routers/audit";
import { graphRouter } from "./routers/graph";
import { changesRouter } from "./routers/changes";
import { orgRouter } from "./routers/org";
import { overviewRouter } from "./routers/overview";
import { policiesRouter } from "./routers/policies";
import { settingsRouter } from "./routers/settings";

export const appRouter = router({
  account: accountRouter,
  org: orgRouter,
  overview: overviewRouter,
  audit: auditRouter,
  settings: settingsRouter,
  graph: graphRouter,
  policies: policiesRouter,
  changes: changesRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
