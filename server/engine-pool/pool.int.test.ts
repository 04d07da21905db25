import { describe, expect, it } from "vitest";
import { checkPolicyText } from "@/server/drafts/check";
import { largePolicyYaml } from "@/server/testing/large-policy";
import { drainEngine, runEngine } from "./pool";

describe("the engine's worker pool", () => {
  it("reads a 200 kB policy in a worker thread: the event loop keeps turning meanwhile, and the result is the engine's", async () => {
    const yaml = largePolicyYaml(200_000);
    await runEngine("check", { yaml: "", tenants: [] }); // a started worker, so the count below is about the work
    let turns = 0;
    let done = false;
    const turn = () => {
      turns++;
      if (!done) setImmediate(turn);
    };
    setImmediate(turn);
    const checked = await runEngine("check", { yaml, tenants: ["payments"] });
    done = true;
    // Work on this thread would have run to the end before a single setImmediate callback.
    expect(turns).toBeGreaterThan(10);
    const { document, errors, parsed, positions } = checkPolicyText(yaml, ["payments"]);
    expect(checked).toEqual({ document, errors, parsed, positions });
    expect(checked.document?.kind).toBe("Policy");
  });

  it("returns located problems as plain data across the thread boundary", async () => {
    const checked = await runEngine("check", { yaml: "kind: [unclosed", tenants: [] });
    expect(checked.parsed).toBe(false);
    expect(checked.errors[0]).toMatchObject({ line: 1, severity: "error" });
    expect(checked.document).toBeNull();
  });

  it("drains: resolves once every task queued or running has finished, and the pool still takes work", async () => {
    const yaml = largePolicyYaml(100_000);
    const tasks = Promise.all([1, 2, 3].map(() => runEngine("check", { yaml, tenants: [] })));
    await drainEngine();
    // Once the pending promise callbacks have run (before the next setImmediate), every task is done.
    const state = await Promise.race([tasks.then(() => "done"), new Promise((resolve) => setImmediate(() => resolve("pending")))]);
    expect(state).toBe("done");
    expect((await runEngine("check", { yaml: "kind: [unclosed", tenants: [] })).parsed).toBe(false);
  });
});
