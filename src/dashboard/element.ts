import { JOB_STATES, type Job, type JobState } from '../types.js';
import { isQueue, QueueController, type AnyQueue, type Query, type StateFilter } from './controller.js';
import { truncate } from './format.js';
import { onTick } from './ticker.js';
import { DashboardView, shortId, type ViewActions } from './view.js';

export { REFRESH_INTERVAL_MS, THROUGHPUT_WINDOW_MS, type AnyQueue, type StateFilter } from './controller.js';

/** What the job list shows: see {@link JobrailDashboard.filter}. */
export interface DashboardFilter {
  /** Only jobs in this state (`'failed'` is the dead-letter store). @default 'all' */
  state?: StateFilter;
  /** Only jobs with exactly this name. @default '' (any name) */
  name?: string;
}

/** Detail of the `jobrail-dashboard-error` event. */
export interface DashboardErrorDetail {
  /** What the dashboard was doing, e.g. `"open queue outbox"` or `"retry job 1f3c…"`. */
  action: string;
  error: unknown;
}

const DEFAULT_PAGE_SIZE = 20;
/** A confirmation in the status line goes away after this long (errors stay until the next action). */
export const MESSAGE_MS = 8000;
const MAX_PAGE_SIZE = 500;

const Base: typeof HTMLElement = typeof HTMLElement === 'undefined' ? (class {} as unknown as typeof HTMLElement) : HTMLElement;

function errorText(error: unknown): string {
  if (error && typeof error === 'object' && 'message' in error) {
    const e = error as { name?: unknown; message?: unknown };
    return `${typeof e.name === 'string' ? `${e.name}: ` : ''}${String(e.message)}`;
  }
  return String(error);
}

function checkQueue(value: unknown): asserts value is AnyQueue | undefined {
  if (value !== undefined && value !== null && !isQueue(value)) {
    throw new TypeError('Expected `queue` of <jobrail-dashboard> to be a queue from openQueue(), or undefined');
  }
}

/**
 * `<jobrail-dashboard>`: a live view of one jobrail queue — counts per state, a paged job
 * list filtered by state and name, the dead-letter store with retry and remove, pause and
 * resume, and throughput over the last minute. Updates come from the queue's public events in
 * every tab; the store is re-read at most every {@link REFRESH_INTERVAL_MS} ms, one page at
 * a time, so a flood of jobs never makes it reload per event.
 *
 * Everything that comes from the store (names, data, errors) is rendered as text.
 *
 * @example
 * ```html
 * <script type="module">import 'jobrail/dashboard';</script>
 * <jobrail-dashboard queue="outbox"></jobrail-dashboard>
 * ```
 * @example
 * ```ts
 * import 'jobrail/dashboard';
 * const dashboard = document.createElement('jobrail-dashboard');
 * dashboard.queue = await openQueue('outbox'); // share the page's queue object
 * document.body.append(dashboard);
 * ```
 *
 * Attributes: `queue` (name of a queue to open), `page-size` (jobs per page, default 20),
 * `state` (initial state filter, e.g. `failed`).
 *
 * Events: `jobrail-dashboard-error` (`CustomEvent<DashboardErrorDetail>`, bubbles and
 * crosses the shadow boundary) when opening the queue, reading it, or an action fails.
 *
 * Styling: CSS custom properties on the element (`--jobrail-bg`, `--jobrail-fg`,
 * `--jobrail-muted`, `--jobrail-border`, `--jobrail-subtle`, `--jobrail-accent`,
 * `--jobrail-focus`, `--jobrail-pending`, `--jobrail-processing`, `--jobrail-completed`,
 * `--jobrail-retrying`, `--jobrail-failed`, `--jobrail-radius`); light and dark follow
 * `prefers-color-scheme`.
 *
 * Inside, three parts with one job each: a `QueueController` (the queue, its events and
 * the throttled reads), a `DashboardView` (the DOM), and this element (attributes,
 * properties, actions). Changes are batched into one render per microtask.
 */
export class JobrailDashboard extends Base {
  static readonly observedAttributes = ['queue', 'page-size', 'state'];

  /** A queue object given through the `queue` property; never closed by the element. */
  #explicit: AnyQueue | undefined;
  #view: DashboardView | undefined;
  readonly #controller = new QueueController({
    requestUpdate: () => this.#requestUpdate(),
    report: (action, error) => this.#report(action, error),
    attached: () => this.#say(''),
    query: () => this.#query(),
    setPage: (page) => {
      this.#page = page;
    },
  });
  #stateFilter: StateFilter = 'all';
  #nameFilter = '';
  #page = 0;
  #pauseBusy = false;
  /** When the status line got its current info message (undefined: empty or an error). */
  #messageAt: number | undefined;
  /** The render queued for the end of this microtask, if any. */
  #updating: Promise<void> | undefined;
  #untick: (() => void) | undefined;
  readonly #onVisibility = () => {
    if (!document.hidden) this.#controller.invalidate(true);
  };

  /** How many times the element has read a page of jobs from the store (for tests and tuning). */
  get loads(): number {
    return this.#controller.loads;
  }

  // ---- public API -----------------------------------------------------------------------

  /**
   * The queue shown. Set it to a queue object from `openQueue` to share the page's queue
   * (the element then never closes it); set it to `undefined` to fall back to the `queue`
   * attribute. Reading it gives the queue in use, which may be one the element opened.
   */
  get queue(): AnyQueue | undefined {
    return this.#explicit ?? this.#controller.queue;
  }

  set queue(value: AnyQueue | undefined) {
    checkQueue(value);
    if (value === this.#explicit) return;
    this.#explicit = value ?? undefined;
    if (this.isConnected) this.#start();
  }

  /** Jobs per page (attribute `page-size`), 1 to 500. @default 20 */
  get pageSize(): number {
    const n = Number(this.getAttribute('page-size'));
    return Number.isInteger(n) && n >= 1 ? Math.min(n, MAX_PAGE_SIZE) : DEFAULT_PAGE_SIZE;
  }

  set pageSize(value: number) {
    this.setAttribute('page-size', String(value));
  }

  /** The job list's filter. Setting it goes back to the first page. */
  get filter(): Required<DashboardFilter> {
    return { state: this.#stateFilter, name: this.#nameFilter };
  }

  set filter(value: DashboardFilter) {
    const state = value.state ?? 'all';
    if (state !== 'all' && !JOB_STATES.includes(state)) throw new TypeError(`Expected \`filter.state\` to be 'all' or one of ${JOB_STATES.join(', ')}`);
    this.#stateFilter = state;
    this.#nameFilter = (value.name ?? '').trim();
    this.#page = 0;
    this.#say('');
    this.#view?.setControls(this.filter);
    this.#requestUpdate();
    this.#controller.queryChanged();
  }

  /** Re-reads counts and the current page now; resolves once rendered. */
  async refresh(): Promise<void> {
    await this.#controller.refresh();
    await this.#updating;
  }

  // ---- lifecycle ------------------------------------------------------------------------

  connectedCallback(): void {
    if (!this.#view) {
      this.#view = new DashboardView(this, this.#actions());
      const initial = this.getAttribute('state');
      if (initial && (initial === 'all' || JOB_STATES.includes(initial as JobState))) this.#stateFilter = initial as StateFilter;
      this.#view.setControls(this.filter);
    }
    // A property set before the element was defined shadows the accessor: move it over.
    for (const prop of ['queue', 'pageSize', 'filter'] as const) {
      if (Object.prototype.hasOwnProperty.call(this, prop)) {
        const value: unknown = this[prop];
        delete (this as Partial<Record<typeof prop, unknown>>)[prop];
        if (prop === 'queue') {
          checkQueue(value);
          this.#explicit = value ?? undefined;
        } else (this as Record<typeof prop, unknown>)[prop] = value;
      }
    }
    document.addEventListener('visibilitychange', this.#onVisibility);
    this.#start();
  }

  disconnectedCallback(): void {
    document.removeEventListener('visibilitychange', this.#onVisibility);
    this.#stop();
  }

  attributeChangedCallback(name: string, oldValue: string | null, value: string | null): void {
    if (oldValue === value || !this.#view) return;
    if (name === 'queue') {
      if (!this.#explicit && this.isConnected) this.#start();
    } else if (name === 'page-size') {
      this.#page = 0;
      this.#controller.queryChanged();
    } else if (name === 'state') {
      const state = (value ?? 'all') as StateFilter;
      this.filter = { state: state === 'all' || JOB_STATES.includes(state) ? state : 'all', name: this.#nameFilter };
    }
  }

  #start(): void {
    this.#stop();
    this.#untick = onTick(() => {
      this.#controller.pollRunners();
      this.#controller.pollStorage();
      if (this.#messageAt !== undefined && Date.now() - this.#messageAt >= MESSAGE_MS) this.#say('');
      this.#requestUpdate();
    });
    if (this.#explicit) {
      this.#controller.use(this.#explicit);
      return;
    }
    const name = this.getAttribute('queue');
    if (!name) {
      this.#say('No queue yet: set the queue attribute to a queue name, or the queue property to a queue object.');
      return;
    }
    this.#say(`Opening queue ${name}…`);
    this.#controller.open(name);
  }

  #stop(): void {
    this.#untick?.();
    this.#untick = undefined;
    this.#controller.stop();
  }

  #query(): Query {
    return { state: this.#stateFilter, name: this.#nameFilter, page: this.#page, pageSize: this.pageSize };
  }

  // ---- rendering ------------------------------------------------------------------------

  /** Batches every change of this microtask into one render (as relative-time-element does). */
  #requestUpdate(): void {
    if (this.#updating) return;
    this.#updating = Promise.resolve().then(() => {
      this.#updating = undefined;
      this.#update();
    });
  }

  #update(): void {
    const view = this.#view;
    if (!view) return;
    const c = this.#controller;
    const now = Date.now();
    const queueName = c.queue?.name ?? (this.#explicit ? this.#explicit.name : (this.getAttribute('queue') ?? undefined));
    view.render({
      queueName,
      query: this.#query(),
      loaded: c.loaded,
      paused: c.paused,
      runners: c.runners,
      online: c.online,
      storage: c.storage,
      pauseBusy: this.#pauseBusy,
      throughput: c.completions.count(now),
      names: c.names,
      now,
    });
  }

  #say(text: string, kind: 'info' | 'error' = 'info'): void {
    this.#messageAt = text !== '' && kind === 'info' ? Date.now() : undefined;
    this.#view?.say(text, kind);
  }

  #report(action: string, error: unknown): void {
    this.#say(`Could not ${action}: ${truncate(errorText(error), 300)}`, 'error');
    this.dispatchEvent(new CustomEvent<DashboardErrorDetail>('jobrail-dashboard-error', { detail: { action, error }, bubbles: true, composed: true }));
  }

  // ---- actions --------------------------------------------------------------------------

  #actions(): ViewActions {
    return {
      filterState: (state) => {
        this.filter = { state, name: this.#nameFilter };
      },
      toggleState: (state) => {
        this.filter = { state: this.#stateFilter === state ? 'all' : state, name: this.#nameFilter };
      },
      filterName: (name) => {
        this.#nameFilter = name.trim();
        this.#page = 0;
        this.#say('');
        this.#requestUpdate();
        this.#controller.queryChanged();
      },
      turnPage: (delta) => {
        if (this.#page + delta < 0) return;
        this.#page += delta;
        this.#say('');
        this.#controller.queryChanged();
      },
      togglePause: () => {
        const paused = this.#controller.paused;
        if (this.#pauseBusy || paused === undefined) return;
        this.#pauseBusy = true;
        this.#requestUpdate();
        void this.#act(paused ? 'resume the queue' : 'pause the queue', async (q) => {
          if (paused) await q.resume();
          else await q.pause();
          this.#controller.paused = !paused;
          return paused ? 'Queue resumed.' : 'Queue paused: no new jobs start in any tab.';
        }).finally(() => {
          this.#pauseBusy = false;
          this.#requestUpdate();
        });
      },
      retry: (job) => this.#retry(job),
      remove: (job) => this.#remove(job),
      retryAll: () => {
        void this.#act('retry all failed jobs', async (q) => {
          const n = await q.retryFailed();
          return `${String(n)} failed ${n === 1 ? 'job' : 'jobs'} moved back to pending.`;
        });
      },
      removeAll: () => {
        const target = this.#stateFilter === 'completed' ? 'completed' : 'failed';
        void this.#act(`remove all ${target} jobs`, async (q) => {
          const n = await q.clean({ state: target });
          return `${String(n)} ${target} ${n === 1 ? 'job' : 'jobs'} removed.`;
        });
      },
    };
  }

  #retry(job: Job): void {
    const label = `${job.name} ${shortId(job.id)}`;
    void this.#act(`retry job ${shortId(job.id)}`, async (q) => {
      await q.retry(job.id);
      return `Job ${label} moved back to pending.`;
    });
  }

  #remove(job: Job): void {
    const label = `${job.name} ${shortId(job.id)}`;
    void this.#act(`remove job ${shortId(job.id)}`, async (q) => ((await q.remove(job.id)) ? `Job ${label} removed.` : `Job ${label} was already gone.`));
  }

  async #act(action: string, fn: (q: AnyQueue) => Promise<string>): Promise<void> {
    const q = this.#controller.queue;
    if (!q) return;
    // What an earlier action said is not about this one.
    this.#say('');
    try {
      this.#say(await fn(q));
    } catch (error) {
      this.#report(action, error);
    }
    this.#controller.invalidate(true);
  }
}
