// Its own module: `jobrail/worker` uses it too, and must not pull in the rest of the environment.

/**
 * Resolves in a later task, after the events already queued (e.g. replies from workers).
 * A message, not a timer: timers in background tabs are throttled to one wake-up a second.
 */
export function nextTask(): Promise<void> {
  if (typeof MessageChannel !== 'function') return new Promise((resolve) => setTimeout(resolve, 0));
  return new Promise((resolve) => {
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = () => {
      port1.close();
      resolve();
    };
    port2.postMessage(undefined);
  });
}
