import "server-only";
import { createCallerFactory, router } from "./init";
import { accountRouter } from "./routers/account";
import { approvalRulesRouter } from "./routers/approval-rules";
import { auditRouter } from "./routers/audit";
import { graphRouter } from "./routers/graph";
import { notificationsRouter } from "./routers/notifications";
import { changesRouter } from "./routers/changes";
import { clustersRouter } from "./routers/clusters";
import { exceptionsRouter } from "./routers/exceptions";
import { orgRouter } from "./routers/org";
import { overviewRouter } from "./routers/overview";
import { policiesRouter } from "./routers/policies";
import { releasesRouter } from "./routers/releases";
import { reviewsRouter } from "./routers/reviews";
import { settingsRouter } from "./routers/settings";
import { simulatorRouter } from "./routers/simulator";
import { violationsRouter } from "./routers/violations";
import { alertsRouter } from "./routers/alerts";
import { webhooksRouter } from "./routers/webhooks";
import { workflowRouter } from "./routers/workflow";
import { decisionsRouter } from "./routers/decisions";

export const appRouter = router({
  account: accountRouter,
  org: orgRouter,
  overview: overviewRouter,
  audit: auditRouter,
  settings: settingsRouter,
  decisions: decisionsRouter,
  graph: graphRouter,
  policies: policiesRouter,
  changes: changesRouter,
  workflow: workflowRouter,
  releases: releasesRouter,
  clusters: clustersRouter,
  approvalRules: approvalRulesRouter,
  reviews: reviewsRouter,
  notifications: notificationsRouter,
  webhooks: webhooksRouter,
  simulator: simulatorRouter,
  violations: violationsRouter,
  alerts: alertsRouter,
  exceptions: exceptionsRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
