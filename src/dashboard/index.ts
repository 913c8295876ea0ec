/**
 * `jobrail/dashboard`: importing this module defines the `<jobrail-dashboard>` custom
 * element (the package's one entry with a side effect).
 *
 * @example
 * ```html
 * <script type="module">import 'jobrail/dashboard';</script>
 * <jobrail-dashboard queue="outbox"></jobrail-dashboard>
 * ```
 *
 * @packageDocumentation
 */
import { JobrailDashboard } from './element.js';

export { JobrailDashboard, REFRESH_INTERVAL_MS, THROUGHPUT_WINDOW_MS } from './element.js';
export type { AnyQueue, DashboardErrorDetail, DashboardFilter, StateFilter } from './element.js';

/** The tag name this module defines on import. */
export const DASHBOARD_TAG = 'jobrail-dashboard';

/**
 * Defines the dashboard under `tagName` (already done for `jobrail-dashboard` on import) and
 * returns its class. Defining an already-defined name is a no-op that returns the existing class.
 */
export function defineDashboard(tagName: string = DASHBOARD_TAG): typeof JobrailDashboard {
  if (typeof customElements === 'undefined') return JobrailDashboard;
  const existing = customElements.get(tagName);
  if (existing) return existing as typeof JobrailDashboard;
  // A constructor can back only one tag name: other names get a subclass.
  const ctor = tagName === DASHBOARD_TAG ? JobrailDashboard : class extends JobrailDashboard {};
  customElements.define(tagName, ctor);
  return ctor;
}

defineDashboard();

declare global {
  interface HTMLElementTagNameMap {
    'jobrail-dashboard': JobrailDashboard;
  }
  interface HTMLElementEventMap {
    'jobrail-dashboard-error': CustomEvent<import('./element.js').DashboardErrorDetail>;
  }
}
