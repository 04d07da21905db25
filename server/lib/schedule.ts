/**
 * Runs `task` every `everySeconds` (0: never) in this process, one run at a time (a run still going
 * when the next is due skips it), without keeping the process alive; a failure is logged and the next
 * run happens as usual. Returns the stop function.
 */
export function scheduleEvery(everySeconds: number, task: () => Promise<void>, onError: (error: unknown) => void): () => void {
  if (everySeconds === 0) return () => {};
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    task()
      .catch(onError)
      .finally(() => {
        running = false;
      });
  }, everySeconds * 1000);
  timer.unref();
  return () => clearInterval(timer);
}
