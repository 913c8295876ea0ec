/** Worker side of the worker benchmarks: no-op handlers served through jobrail's worker entry. */
import { serveHandlers } from 'jobrail/worker';

serveHandlers({
  /** Does nothing: measures the queue, not the work. */
  noop: () => undefined,
  /** Returns when it started (epoch ms, high resolution), for add → start latency. */
  stamp: () => performance.timeOrigin + performance.now(),
});
