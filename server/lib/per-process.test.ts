import { describe, expect, it, vi } from "vitest";
import { perProcess, resetPerProcessState } from "./per-process";

describe("per-process state", () => {
  it("is created once, on first use, and shared by every accessor of the same name", () => {
    const init = vi.fn(() => new Map<string, number>());
    const cache = perProcess("TestShared", init);
    expect(init).not.toHaveBeenCalled();
    expect(cache.peek()).toBeUndefined();
    cache().set("a", 1);
    // A second bundle's copy of the module declares the same state again.
    const sameInAnotherBundle = perProcess("TestShared", () => new Map<string, number>());
    expect(sameInAnotherBundle()).toBe(cache());
    expect(cache.peek()?.get("a")).toBe(1);
    expect(init).toHaveBeenCalledTimes(1);
  });

  it("lives on globalThis under the policyplane prefix, looked up on every call", () => {
    const holder = perProcess("TestLookup", () => ({ n: 1 }));
    expect(holder()).toBe((globalThis as Record<string, unknown>).policyplaneTestLookup);
    (globalThis as Record<string, unknown>).policyplaneTestLookup = { n: 2 };
    expect(holder().n).toBe(2);
  });

  it("passes the first call's arguments to init", () => {
    const labelled = perProcess("TestArguments", (label: string) => ({ label }));
    expect(labelled("first").label).toBe("first");
    expect(labelled("second").label).toBe("first");
  });

  it("starts afresh after its own reset", () => {
    const counter = perProcess("TestOwnReset", () => ({ count: 0 }));
    counter().count++;
    counter.reset();
    expect(counter.peek()).toBeUndefined();
    expect(counter().count).toBe(0);
  });

  it("drops state between test files but keeps what is declared kept, and creates the dropped state anew", () => {
    const memo = perProcess("TestDropped", () => ({ hits: 0 }));
    const pool = perProcess("TestKept", () => ({ started: 0 }), { keptAcrossTestFiles: true });
    memo().hits++;
    const warmPool = pool();
    const droppedMemo = memo();

    resetPerProcessState();

    expect(memo.peek()).toBeUndefined();
    expect(memo()).not.toBe(droppedMemo);
    expect(memo().hits).toBe(0);
    expect(pool()).toBe(warmPool);
  });
});
