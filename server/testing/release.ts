// Test helper: one release made as people make it (the seed has none), for tests that need a release in force.
import type { Database } from "@/db/client";
import { callerFor, DEMO_PEOPLE } from "./actors";
import { paymentsEgressYaml } from "./policies";

/**
 * Drafts, proposes, approves (the demo's security and payments committee approvers) and releases one
 * new payments egress policy: the release most tests start from (the seed has none). Returns the numbers.
 */
export async function releasePaymentsPolicy(
  db: Database,
  name: string,
  options: Parameters<typeof paymentsEgressYaml>[1] = {},
): Promise<{ release: number; change: number }> {
  const author = await callerFor(db, DEMO_PEOPLE.author);
  await author.policies.saveDraft({ policyName: null, baseVersion: null, yaml: paymentsEgressYaml(name, options), message: "" });
  const { number } = await author.policies.proposeChange({ title: name, description: "", policies: [name] });
  const { contentHash } = await author.workflow.review({ number });
  await (await callerFor(db, DEMO_PEOPLE.security)).workflow.approve({ number, contentHash });
  await (await callerFor(db, DEMO_PEOPLE.paymentsCommittee)).workflow.approve({ number, contentHash });
  const { release } = await (await callerFor(db, DEMO_PEOPLE.admin)).workflow.release({ number });
  return { release, change: number };
}
