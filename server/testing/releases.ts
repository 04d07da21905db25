// Test helper: a release that reaches a cluster, through the whole workflow.
import type { Database } from "@/db/client";
import { callerFor, DEMO_PEOPLE } from "./actors";
import { paymentsEgressYaml } from "./policies";

/**
 * Releases one payments egress policy named `name` through the whole workflow (author, security
 * and the payments committee approve) and starts its rollout's first wave (the canary, staging-eu-1).
 */
export async function releaseToCanary(db: Database, name: string): Promise<{ release: number; change: number }> {
  const author = await callerFor(db, DEMO_PEOPLE.author);
  await author.policies.saveDraft({ policyName: null, baseVersion: null, yaml: paymentsEgressYaml(name), message: "" });
  const { number } = await author.policies.proposeChange({ title: name, description: "", policies: [name] });
  const { contentHash } = await author.workflow.review({ number });
  await (await callerFor(db, DEMO_PEOPLE.security)).workflow.approve({ number, contentHash });
  await (await callerFor(db, DEMO_PEOPLE.paymentsCommittee)).workflow.approve({ number, contentHash });
  const admin = await callerFor(db, DEMO_PEOPLE.admin);
  const { release } = await admin.workflow.release({ number });
  await admin.releases.rolloutNextWave({ number: release });
  return { release, change: number };
}
