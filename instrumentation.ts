// Opens the database (running migrations) and seeds the demo at start-up, so
// the first request is fast. Node-only code lives in instrumentation-node.ts.
export async function register() {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { openRuntimeOrExit } = await import("./instrumentation-node");
    await openRuntimeOrExit();
  }
}
