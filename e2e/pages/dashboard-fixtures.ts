/** Shared by the bare dashboard page (e2e/pages/dashboard.ts) and e2e/dashboard.spec.ts. */
import type { ListOptions, Queue } from 'jobrail';
import type { JobrailDashboard } from 'jobrail/dashboard';

/** A job name, data and error message that would run script if anything parsed them as HTML. */
export const XSS = {
  name: `<img src=x onerror="window.__xss='name'">`,
  data: `<img src=x onerror="window.__xss='data'">`,
  error: `<img src=x onerror="window.__xss='error'"><script>window.__xss='script'</script>`,
} as const;

/** What the bare page puts on `window.e2e`. */
export interface E2EApi {
  queue: Queue;
  dashboard: JobrailDashboard;
  /** queue.list() calls made by the dashboard, with their options (mode=property only). */
  calls: { list: number; options: ListOptions[] };
  /** Starts an in-page runner with the page's handlers. */
  startRunner(concurrency?: number): Promise<void>;
  stopRunner(): Promise<void>;
  /** Whether the `fail` handler throws (default true). */
  setFailing(failing: boolean): void;
  XSS: typeof XSS;
}
