import { scheduleAlertEvaluation } from "./server/alerts/evaluate";
import { scheduleWebhookCertificateRotation } from "./server/admission/webhook";
import { scheduleCheckpoints } from "./server/audit/checkpoints";
import { scheduleDecisionLogSweep } from "./server/decisions/log";
import { scheduleMinuteClose } from "./server/flows/close";
import { scheduleFlowSweep } from "./server/flows/retention";
import { scheduleExceptionSweep } from "./server/exceptions/sweep";
import { warmReleaseGraphs } from "./server/graph/service";
import { getRuntime } from "./server/runtime";
import { scheduleWebhookDelivery } from "./server/webhooks/deliver";

/** How background jobs report: failures as errors, progress as log lines. */
const logJob = (message: string, error?: unknown) =>
  error ? console.error(`[policyplane] ${message}:`, error) : console.log(`[policyplane] ${message}`);

/**
 * If the database cannot be opened the server must not pretend to be up
 * (Next.js would print "Ready" and answer every request with 500): exit.
 */
export async function openRuntimeOrExit(): Promise<void> {
  const started = Date.now();
  try {
    const runtime = await getRuntime();
    console.log(`[policyplane] database ready (${runtime.database.kind}) in ${Date.now() - started} ms`);
    scheduleCheckpoints(runtime.database.db, runtime.audit, (message, error) => console.error(`[policyplane] ${message}:`, error));
    scheduleWebhookDelivery(runtime.database.db, { origin: runtime.env.BETTER_AUTH_URL }, (message, error) =>
      console.error(`[policyplane] ${message}:`, error),
    );
    scheduleFlowSweep(
      runtime.database.db,
      {
        samplesDays: runtime.env.FLOW_SAMPLES_RETENTION_DAYS,
        aggregatesDays: runtime.env.FLOW_AGGREGATES_RETENTION_DAYS,
        everySeconds: runtime.env.FLOW_SWEEP_SECONDS,
      },
      logJob,
    );
    scheduleMinuteClose(
      runtime.database.db,
      { graceSeconds: runtime.env.FLOW_CLOSE_GRACE_SECONDS, everySeconds: runtime.env.FLOW_CLOSE_SECONDS },
      logJob,
    );
    scheduleExceptionSweep(runtime.database.db, (message, error) => console.error(`[policyplane] ${message}:`, error));
    scheduleAlertEvaluation(runtime.database.db, logJob, runtime.env.ALERT_EVALUATE_SECONDS * 1000);
    scheduleDecisionLogSweep(runtime.database.db, 3600, logJob);
    // Hourly: admission webhook serving certificates within 30 days of expiry get a successor (the cluster page asks to apply it).
    scheduleWebhookCertificateRotation(runtime.database.db, 3600, logJob);
    // In the background: the server answers meanwhile, and a failure here only costs the first graph visitor time.
    const warming = Date.now();
    warmReleaseGraphs(runtime.database.db).then(
      (n) => console.log(`[policyplane] graphs of ${n} clusters computed in ${Date.now() - warming} ms`),
      (error: unknown) => console.error("[policyplane] could not precompute the graphs:", error),
    );
  } catch (error) {
    console.error(`[policyplane] FATAL: could not start: ${error instanceof Error ? error.message : String(error)}`);
    if (error instanceof Error && error.stack) console.error(error.stack);
    process.exit(1);
  }
}
