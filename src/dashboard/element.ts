import { openQueue, type Queue } from '../queue.js';
import { JOB_STATES, type Job, type JobState, type ListOptions } from '../types.js';
import { absoluteTime, preview, progressFraction, relativeTime, truncate } from './format.js';
import { SlidingCounter } from './throughput.js';
import { applyStyles } from './styles.js';

/** Any queue from `openQueue`, whatever its job map. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyQueue = Queue<any>;

/** The state filter of the job list: one state, or every job. */
export type StateFilter = JobState | 'all';

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

/** The dashboard re-reads the store at most this often while events stream in. */
export const REFRESH_INTERVAL_MS = 250;
/** The throughput window. */
export const THROUGHPUT_WINDOW_MS = 60_000;
const TICK_MS = 1000;
/** The screen-reader summary of the counts changes at most this often. */
const LIVE_SUMMARY_MS = 3000;
const DEFAULT_PAGE_SIZE = 20;
const MAX_PAGE_SIZE = 500;
const MAX_NAMES = 100;

const STATE_LABELS: Record<JobState, string> = {
  pending: 'Pending',
  processing: 'Processing',
  retrying: 'Retrying',
  completed: 'Completed',
  failed: 'Failed',
};
/** Display order: the way a job flows. */
const STATE_ORDER: readonly JobState[] = ['pending', 'processing', 'retrying', 'completed', 'failed'];

const Base: typeof HTMLElement = typeof HTMLElement === 'undefined' ? (class {} as unknown as typeof HTMLElement) : HTMLElement;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  // Strings become Text nodes: never parsed as HTML.
  node.append(...children);
  return node;
}

function setText(node: Node, text: string): void {
  if (node.textContent !== text) node.textContent = text;
}

function setAttr(node: Element, name: string, value: string | null): void {
  if (value === null) {
    if (node.hasAttribute(name)) node.removeAttribute(name);
  } else if (node.getAttribute(name) !== value) node.setAttribute(name, value);
}

function errorText(error: unknown): string {
  if (error && typeof error === 'object' && 'message' in error) {
    const e = error as { name?: unknown; message?: unknown };
    return `${typeof e.name === 'string' ? `${e.name}: ` : ''}${String(e.message)}`;
  }
  return String(error);
}

const shortId = (id: string): string => (id.length > 8 ? id.slice(0, 8) : id);

function isQueue(value: unknown): value is AnyQueue {
  if (!value || typeof value !== 'object') return false;
  const q = value as Record<string, unknown>;
  return ['list', 'counts', 'on', 'isPaused', 'pause', 'resume', 'retry', 'retryFailed', 'remove', 'clean'].every((m) => typeof q[m] === 'function');
}

/** One rendered job row, with the nodes that change. */
interface Row {
  id: string;
  job: Job;
  tr: HTMLTableRowElement;
  name: Text;
  idText: HTMLElement;
  badge: HTMLElement;
  priority: HTMLTableCellElement;
  attempts: HTMLTableCellElement;
  when: HTMLTableCellElement;
  bar: HTMLProgressElement;
  pct: HTMLElement;
  progressText: HTMLElement;
  error: HTMLTableCellElement;
  data: HTMLTableCellElement;
  retry: HTMLButtonElement;
  remove: HTMLButtonElement;
}

/**
 * `<jobrail-dashboard>`: a live view of one jobrail queue — counts per state, a paged job
 * list filtered by state and name, the dead-letter store with retry and remove, pause and
 * resume, and throughput over the last minute. Updates come from the queue's events in
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
 */
export class JobrailDashboard extends Base {
  static readonly observedAttributes = ['queue', 'page-size', 'state'];

  /** A queue object given through the `queue` property; never closed by the element. */
  private explicit: AnyQueue | undefined;
  /** A queue the element opened from its `queue` attribute; closed when it disconnects. */
  private owned: AnyQueue | undefined;
  private current: AnyQueue | undefined;
  /** Bumped on every (re)start, so late async results from an old queue are dropped. */
  private generation = 0;
  private unsubscribers: (() => void)[] = [];

  private built = false;
  private dom!: {
    root: HTMLElement;
    queueName: HTMLElement;
    runState: HTMLElement;
    pause: HTMLButtonElement;
    throughput: HTMLElement;
    throughputRate: HTMLElement;
    counts: Record<JobState, { button: HTMLButtonElement; value: HTMLElement }>;
    summary: HTMLElement;
    state: HTMLSelectElement;
    name: HTMLInputElement;
    names: HTMLDataListElement;
    bulk: HTMLElement;
    bulkText: HTMLElement;
    retryAll: HTMLButtonElement;
    removeAll: HTMLButtonElement;
    tableWrap: HTMLElement;
    caption: HTMLElement;
    tbody: HTMLTableSectionElement;
    empty: HTMLElement;
    prev: HTMLButtonElement;
    next: HTMLButtonElement;
    range: HTMLElement;
    message: HTMLElement;
  };
  private readonly rows = new Map<string, Row>();

  private stateFilter: StateFilter = 'all';
  private nameFilter = '';
  private page = 0;
  private counts: Record<JobState, number> | undefined;
  private paused: boolean | undefined;
  private pauseBusy = false;
  private readonly names = new Set<string>();
  private readonly completions = new SlidingCounter(THROUGHPUT_WINDOW_MS);

  private dirty = false;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private refreshing: Promise<void> | undefined;
  private lastRefreshAt = 0;
  private tickTimer: ReturnType<typeof setInterval> | undefined;
  private summaryText = '';
  private summaryAt = 0;
  private readonly onVisibility = () => {
    if (!document.hidden && this.dirty) this.invalidate(true);
  };

  /** How many times the element has read a page of jobs from the store (for tests and tuning). */
  loads = 0;

  // ---- public API -----------------------------------------------------------------------

  /**
   * The queue shown. Set it to a queue object from `openQueue` to share the page's queue
   * (the element then never closes it); set it to `undefined` to fall back to the `queue`
   * attribute. Reading it gives the queue in use, which may be one the element opened.
   */
  get queue(): AnyQueue | undefined {
    return this.explicit ?? this.current;
  }

  set queue(value: AnyQueue | undefined) {
    if (value !== undefined && value !== null && !isQueue(value)) {
      throw new TypeError('Expected `queue` of <jobrail-dashboard> to be a queue from openQueue(), or undefined');
    }
    if (value === this.explicit) return;
    this.explicit = value ?? undefined;
    if (this.isConnected) this.restart();
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
    return { state: this.stateFilter, name: this.nameFilter };
  }

  set filter(value: DashboardFilter) {
    const state = value.state ?? 'all';
    if (state !== 'all' && !JOB_STATES.includes(state)) throw new TypeError(`Expected \`filter.state\` to be 'all' or one of ${JOB_STATES.join(', ')}`);
    this.stateFilter = state;
    this.nameFilter = (value.name ?? '').trim();
    this.page = 0;
    if (this.built) {
      this.dom.state.value = this.stateFilter;
      this.dom.name.value = this.nameFilter;
      this.renderFilter();
    }
    this.invalidate(true);
  }

  /** Re-reads counts and the current page now; resolves once rendered. */
  async refresh(): Promise<void> {
    if (this.refreshing) await this.refreshing;
    if (!this.current) return;
    if (this.refreshTimer !== undefined) {
      clearTimeout(this.refreshTimer);
      this.refreshTimer = undefined;
    }
    await (this.refreshing ?? this.runRefresh());
  }

  // ---- lifecycle ------------------------------------------------------------------------

  connectedCallback(): void {
    if (!this.built) this.build();
    // A property set before the element was defined shadows the accessor: move it over.
    for (const prop of ['queue', 'pageSize', 'filter'] as const) {
      if (Object.prototype.hasOwnProperty.call(this, prop)) {
        const value: unknown = this[prop];
        delete (this as Partial<Record<typeof prop, unknown>>)[prop];
        if (prop === 'queue') {
          if (value !== undefined && !isQueue(value)) throw new TypeError('Expected `queue` of <jobrail-dashboard> to be a queue from openQueue(), or undefined');
          this.explicit = value;
        } else (this as Record<typeof prop, unknown>)[prop] = value;
      }
    }
    document.addEventListener('visibilitychange', this.onVisibility);
    this.restart();
  }

  disconnectedCallback(): void {
    document.removeEventListener('visibilitychange', this.onVisibility);
    this.teardown();
  }

  attributeChangedCallback(name: string, oldValue: string | null, value: string | null): void {
    if (oldValue === value || !this.built) return;
    if (name === 'queue') {
      if (!this.explicit && this.isConnected) this.restart();
    } else if (name === 'page-size') {
      this.page = 0;
      this.invalidate(true);
    } else if (name === 'state') {
      const state = (value ?? 'all') as StateFilter;
      this.filter = { state: state === 'all' || JOB_STATES.includes(state) ? state : 'all', name: this.nameFilter };
    }
  }

  private restart(): void {
    this.teardown();
    const generation = this.generation;
    this.tickTimer = setInterval(() => this.tick(), TICK_MS);
    if (this.explicit) {
      this.use(this.explicit);
      return;
    }
    const name = this.getAttribute('queue');
    if (!name) {
      setText(this.dom.queueName, '—');
      this.say('No queue yet: set the queue attribute to a queue name, or the queue property to a queue object.');
      return;
    }
    setText(this.dom.queueName, name);
    this.say(`Opening queue ${name}…`);
    openQueue(name).then(
      (q) => {
        if (generation !== this.generation) {
          void q.close();
          return;
        }
        this.owned = q;
        this.say('');
        this.use(q);
      },
      (error: unknown) => {
        if (generation === this.generation) this.report(`open queue ${name}`, error);
      },
    );
  }

  private teardown(): void {
    this.generation += 1;
    for (const off of this.unsubscribers.splice(0)) off();
    if (this.refreshTimer !== undefined) clearTimeout(this.refreshTimer);
    if (this.tickTimer !== undefined) clearInterval(this.tickTimer);
    this.refreshTimer = undefined;
    this.tickTimer = undefined;
    this.dirty = false;
    this.current = undefined;
    if (this.owned) {
      void this.owned.close();
      this.owned = undefined;
    }
  }

  private use(q: AnyQueue): void {
    try {
      this.subscribe(q);
    } catch (error) {
      // e.g. a queue that was already closed
      for (const off of this.unsubscribers.splice(0)) off();
      this.current = undefined;
      this.report(`show queue ${q.name}`, error);
    }
  }

  private subscribe(q: AnyQueue): void {
    this.current = q;
    this.counts = undefined;
    this.paused = undefined;
    this.completions.clear();
    this.names.clear();
    for (const row of this.rows.values()) row.tr.remove();
    this.rows.clear();
    setText(this.dom.queueName, q.name);
    this.say('');
    const onJob = (job: Job) => {
      this.rememberName(job.name);
      this.invalidate();
    };
    for (const event of ['added', 'active', 'progress', 'retrying', 'failed', 'removed'] as const) {
      this.unsubscribers.push(q.on(event, onJob));
    }
    this.unsubscribers.push(
      q.on('completed', (job: Job) => {
        this.completions.add(Date.now());
        onJob(job);
      }),
    );
    this.unsubscribers.push(q.on('drained', () => this.invalidate()));
    this.unsubscribers.push(q.on('changed', () => this.invalidate()));
    for (const [event, paused] of [['paused', true], ['resumed', false]] as const) {
      this.unsubscribers.push(
        q.on(event, () => {
          this.paused = paused;
          this.renderPaused();
          this.invalidate();
        }),
      );
    }
    this.renderThroughput();
    this.invalidate(true);
  }

  // ---- refresh scheduling ---------------------------------------------------------------

  /**
   * Marks the view stale. The store is re-read once the current read is done and at least
   * REFRESH_INTERVAL_MS after the previous one (or at once with `soon`), and not while
   * the page is hidden.
   */
  private invalidate(soon = false): void {
    this.dirty = true;
    if (!this.current || this.refreshing) return;
    if (typeof document !== 'undefined' && document.hidden && !soon) return;
    const wait = soon ? 0 : Math.max(0, this.lastRefreshAt + REFRESH_INTERVAL_MS - Date.now());
    if (this.refreshTimer !== undefined) {
      if (!soon) return;
      clearTimeout(this.refreshTimer);
    }
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      if (this.dirty && !this.refreshing) void this.runRefresh();
    }, wait);
  }

  private runRefresh(): Promise<void> {
    this.dirty = false;
    this.lastRefreshAt = Date.now();
    const done = this.load().finally(() => {
      this.refreshing = undefined;
      if (this.dirty) this.invalidate();
    });
    this.refreshing = done;
    return done;
  }

  private async load(): Promise<void> {
    const q = this.current;
    if (!q) return;
    const generation = this.generation;
    const size = this.pageSize;
    const state = this.stateFilter === 'all' ? undefined : this.stateFilter;
    const name = this.nameFilter === '' ? undefined : this.nameFilter;
    let counts: Record<JobState, number>;
    let jobs: Job[];
    let paused: boolean;
    try {
      this.loads += 1;
      [counts, jobs, paused] = await Promise.all([
        q.counts(),
        q.list(listOptions(state, name, size + 1, this.page * size)),
        q.isPaused(),
      ]);
    } catch (error) {
      if (generation === this.generation) this.report('read the queue', error);
      return;
    }
    if (generation !== this.generation) return;
    if (jobs.length === 0 && this.page > 0) {
      // The page emptied under us (jobs finished or were removed): step back.
      const total = this.knownTotal(counts);
      this.page = total === undefined ? this.page - 1 : Math.max(0, Math.min(this.page - 1, Math.ceil(total / size) - 1));
      return this.load();
    }
    this.counts = counts;
    this.paused = paused;
    for (const job of jobs) this.rememberName(job.name);
    this.render(jobs.slice(0, size), jobs.length > size);
  }

  private knownTotal(counts: Record<JobState, number> | undefined): number | undefined {
    if (!counts || this.nameFilter !== '') return undefined;
    return this.stateFilter === 'all' ? STATE_ORDER.reduce((sum, s) => sum + counts[s], 0) : counts[this.stateFilter];
  }

  /** Every second: the throughput window slides and relative times move on, without a store read. */
  private tick(): void {
    this.renderThroughput();
    const now = Date.now();
    for (const row of this.rows.values()) this.renderWhen(row, now);
    this.renderSummary(now);
  }

  // ---- actions --------------------------------------------------------------------------

  private async act(action: string, fn: (q: AnyQueue) => Promise<string>): Promise<void> {
    const q = this.current;
    if (!q) return;
    try {
      this.say(await fn(q));
    } catch (error) {
      this.report(action, error);
    }
    this.invalidate(true);
  }

  private onTableClick(event: Event): void {
    const button = (event.target as Element | null)?.closest?.('button[data-action]');
    if (!(button instanceof HTMLButtonElement)) return;
    const tr = button.closest('tr');
    const row = tr ? this.rows.get(tr.dataset.id ?? '') : undefined;
    if (!row) return;
    const { id, name } = row.job;
    const label = `${name} ${shortId(id)}`;
    if (button.dataset.action === 'retry') {
      void this.act(`retry job ${shortId(id)}`, async (q) => {
        await q.retry(id);
        return `Job ${label} moved back to pending.`;
      });
    } else if (button.dataset.action === 'remove') {
      void this.act(`remove job ${shortId(id)}`, async (q) => ((await q.remove(id)) ? `Job ${label} removed.` : `Job ${label} was already gone.`));
    }
  }

  // ---- rendering ------------------------------------------------------------------------

  private build(): void {
    this.built = true;
    const shadow = this.attachShadow({ mode: 'open' });
    applyStyles(shadow);
    const headingId = 'jobrail-heading';
    const queueName = el('span', { class: 'queue-name' }, '—');
    const runState = el('p', { class: 'run-state', 'aria-live': 'polite', 'data-paused': 'unknown' }, 'Loading…');
    const pause = el('button', { type: 'button', 'data-role': 'pause', disabled: '' }, 'Pause queue');
    const throughputRate = el('strong', {}, '0');
    const throughput = el('p', { class: 'throughput', title: `Jobs completed in any tab over the last ${String(THROUGHPUT_WINDOW_MS / 1000)} s` }, throughputRate, ' completed in the last minute');
    const header = el('header', {}, el('h2', { id: headingId }, 'Queue ', queueName), runState, pause, throughput);

    const countsList = el('ul', { class: 'counts', 'aria-label': 'Jobs per state' });
    const counts = {} as Record<JobState, { button: HTMLButtonElement; value: HTMLElement }>;
    for (const state of STATE_ORDER) {
      const value = el('span', { class: 'value' }, '–');
      const label = state === 'failed' ? 'Failed (dead letter)' : STATE_LABELS[state];
      const button = el('button', { type: 'button', 'data-state': state, 'aria-pressed': 'false', title: `Show ${label.toLowerCase()} jobs` }, el('span', { class: 'label' }, label), value);
      button.addEventListener('click', () => {
        this.filter = { state: this.stateFilter === state ? 'all' : state, name: this.nameFilter };
      });
      counts[state] = { button, value };
      countsList.append(el('li', { 'data-state': state, 'data-count': state }, button));
    }
    const summary = el('p', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite', 'aria-atomic': 'true' });

    const state = el('select', { id: 'jobrail-state', 'data-role': 'state-filter' });
    state.append(el('option', { value: 'all' }, 'All states'));
    for (const s of STATE_ORDER) state.append(el('option', { value: s }, s === 'failed' ? 'Failed (dead letter)' : STATE_LABELS[s]));
    const names = el('datalist', { id: 'jobrail-names' });
    const name = el('input', { id: 'jobrail-name', type: 'search', list: 'jobrail-names', placeholder: 'any name', autocomplete: 'off', spellcheck: 'false', 'data-role': 'name-filter' });
    const filters = el(
      'form',
      { class: 'filters', role: 'search', 'aria-label': 'Filter jobs' },
      el('div', { class: 'field' }, el('label', { for: 'jobrail-state' }, 'State'), state),
      el('div', { class: 'field' }, el('label', { for: 'jobrail-name' }, 'Job name'), name),
      names,
    );
    filters.addEventListener('submit', (e) => e.preventDefault());
    state.addEventListener('change', () => {
      this.filter = { state: state.value as StateFilter, name: this.nameFilter };
    });
    name.addEventListener('input', () => {
      this.nameFilter = name.value.trim();
      this.page = 0;
      this.renderFilter();
      this.invalidate();
    });

    const bulkText = el('p', {});
    const retryAll = el('button', { type: 'button', 'data-role': 'retry-all' }, 'Retry all');
    const removeAll = el('button', { type: 'button', class: 'danger', 'data-role': 'remove-all' }, 'Remove all');
    const bulk = el('div', { class: 'bulk', role: 'group', 'aria-label': 'Bulk actions', hidden: '' }, bulkText, retryAll, removeAll);
    retryAll.addEventListener('click', () => {
      void this.act('retry all failed jobs', async (q) => {
        const n = await q.retryFailed();
        return `${String(n)} failed ${n === 1 ? 'job' : 'jobs'} moved back to pending.`;
      });
    });
    removeAll.addEventListener('click', () => {
      const target = this.stateFilter === 'completed' ? 'completed' : 'failed';
      void this.act(`remove all ${target} jobs`, async (q) => {
        const n = await q.clean({ state: target });
        return `${String(n)} ${target} ${n === 1 ? 'job' : 'jobs'} removed.`;
      });
    });

    const caption = el('caption', {});
    const head = el('tr', {});
    for (const [label, cls] of [
      ['Job', ''],
      ['State', ''],
      ['Priority', 'num'],
      ['Attempts', 'num'],
      ['When', ''],
      ['Progress', ''],
      ['Last error', ''],
      ['Data', ''],
      ['Actions', ''],
    ] as const) {
      head.append(el('th', cls ? { scope: 'col', class: cls } : { scope: 'col' }, label));
    }
    const tbody = el('tbody', {});
    tbody.addEventListener('click', (e) => this.onTableClick(e));
    const table = el('table', {}, caption, el('thead', {}, head), tbody);
    const tableWrap = el('div', { class: 'table-wrap', role: 'region', 'aria-label': 'Jobs', tabindex: '0' }, table);
    const empty = el('p', { class: 'empty', hidden: '' });

    const prev = el('button', { type: 'button', 'data-role': 'prev', disabled: '' }, 'Previous page');
    const next = el('button', { type: 'button', 'data-role': 'next', disabled: '' }, 'Next page');
    const range = el('span', { class: 'range', 'aria-live': 'polite' });
    const pager = el('nav', { class: 'pager', 'aria-label': 'Job list pages' }, prev, range, next);
    prev.addEventListener('click', () => {
      if (this.page > 0) {
        this.page -= 1;
        this.invalidate(true);
      }
    });
    next.addEventListener('click', () => {
      this.page += 1;
      this.invalidate(true);
    });
    pause.addEventListener('click', () => {
      // Busy, not disabled: disabling the focused button would drop keyboard focus.
      if (this.pauseBusy || this.paused === undefined) return;
      const resume = this.paused;
      this.pauseBusy = true;
      pause.setAttribute('aria-busy', 'true');
      void this.act(resume ? 'resume the queue' : 'pause the queue', async (q) => {
        if (resume) await q.resume();
        else await q.pause();
        this.paused = !resume;
        return resume ? 'Queue resumed.' : 'Queue paused: no new jobs start in any tab.';
      }).finally(() => {
        this.pauseBusy = false;
        pause.removeAttribute('aria-busy');
        this.renderPaused();
      });
    });

    const message = el('p', { class: 'message', role: 'status', 'aria-live': 'polite' });
    const root = el('section', { class: 'root', 'aria-labelledby': headingId, part: 'root' }, header, countsList, summary, filters, bulk, tableWrap, empty, pager, message);
    shadow.append(root);
    this.dom = { root, queueName, runState, pause, throughput, throughputRate, counts, summary, state, name, names, bulk, bulkText, retryAll, removeAll, tableWrap, caption, tbody, empty, prev, next, range, message };

    const initial = this.getAttribute('state');
    if (initial && (initial === 'all' || JOB_STATES.includes(initial as JobState))) this.stateFilter = initial as StateFilter;
    state.value = this.stateFilter;
    this.renderFilter();
  }

  private rememberName(name: string): void {
    if (this.names.has(name) || this.names.size >= MAX_NAMES) return;
    this.names.add(name);
    const option = document.createElement('option');
    option.value = name;
    this.dom.names.append(option);
  }

  private say(text: string, kind: 'info' | 'error' = 'info'): void {
    if (!this.built) return;
    setText(this.dom.message, text);
    this.dom.message.dataset.kind = kind;
  }

  private report(action: string, error: unknown): void {
    this.say(`Could not ${action}: ${truncate(errorText(error), 300)}`, 'error');
    this.dispatchEvent(new CustomEvent<DashboardErrorDetail>('jobrail-dashboard-error', { detail: { action, error }, bubbles: true, composed: true }));
  }

  private renderPaused(): void {
    const { runState, pause } = this.dom;
    if (this.paused === undefined) return;
    runState.dataset.paused = String(this.paused);
    setText(runState, this.paused ? 'Paused' : 'Running');
    setText(pause, this.paused ? 'Resume queue' : 'Pause queue');
    pause.disabled = false;
  }

  private renderThroughput(): void {
    const n = this.completions.count(Date.now());
    setText(this.dom.throughputRate, String(n));
  }

  private renderSummary(now: number): void {
    const counts = this.counts;
    if (!counts) return;
    const text = `${STATE_ORDER.map((s) => `${String(counts[s])} ${s === 'failed' ? 'failed' : STATE_LABELS[s].toLowerCase()}`).join(', ')}${this.paused ? '; queue paused' : ''}.`;
    if (text === this.summaryText || now - this.summaryAt < LIVE_SUMMARY_MS) return;
    this.summaryText = text;
    this.summaryAt = now;
    setText(this.dom.summary, text);
  }

  private renderFilter(): void {
    if (!this.built) return;
    for (const s of STATE_ORDER) setAttr(this.dom.counts[s].button, 'aria-pressed', String(this.stateFilter === s));
    const label = this.stateFilter === 'all' ? 'All jobs' : this.stateFilter === 'failed' ? 'Dead-letter store (failed jobs)' : `${STATE_LABELS[this.stateFilter]} jobs`;
    setText(this.dom.caption, `${label}${this.nameFilter ? ` named “${this.nameFilter}”` : ''}, newest first`);
    this.dom.root.dataset.view = this.stateFilter;
  }

  private render(jobs: Job[], hasNext: boolean): void {
    const counts = this.counts;
    const now = Date.now();
    const { dom } = this;
    if (counts) {
      for (const s of STATE_ORDER) setText(dom.counts[s].value, String(counts[s]));
      this.renderSummary(now);
    }
    this.renderPaused();
    this.renderFilter();
    this.renderThroughput();

    // Bulk actions for the dead-letter store and for completed jobs.
    const view = this.stateFilter;
    if (view === 'failed' || view === 'completed') {
      const n = counts?.[view] ?? 0;
      dom.bulk.hidden = false;
      dom.bulk.dataset.view = view;
      dom.retryAll.hidden = view !== 'failed';
      dom.retryAll.disabled = n === 0;
      dom.removeAll.disabled = n === 0;
      setText(dom.removeAll, view === 'failed' ? 'Remove all failed' : 'Remove all completed');
      setText(
        dom.bulkText,
        view === 'failed'
          ? n === 0
            ? 'The dead-letter store is empty.'
            : `${String(n)} ${n === 1 ? 'job' : 'jobs'} in the dead-letter store. They are never retried automatically.`
          : `${String(n)} completed ${n === 1 ? 'job' : 'jobs'} kept.`,
      );
    } else dom.bulk.hidden = true;

    // Keep keyboard focus where it was when its row moves or goes away.
    const active = this.shadowRoot?.activeElement ?? null;
    const focusRow = active?.closest('tr');
    const focusAction = active instanceof HTMLButtonElement ? active.dataset.action : undefined;
    const focusIndex = focusRow ? Array.prototype.indexOf.call(dom.tbody.children, focusRow) : -1;

    const keep = new Set(jobs.map((j) => j.id));
    for (const [id, row] of this.rows) {
      if (!keep.has(id)) {
        row.tr.remove();
        this.rows.delete(id);
      }
    }
    jobs.forEach((job, i) => {
      let row = this.rows.get(job.id);
      if (!row) {
        row = this.createRow(job);
        this.rows.set(job.id, row);
      }
      this.updateRow(row, job, now);
      const at = dom.tbody.children[i];
      if (at !== row.tr) dom.tbody.insertBefore(row.tr, at ?? null);
    });

    if (active && !active.isConnected && focusIndex >= 0) {
      const rows = dom.tbody.children;
      const target = rows[Math.min(focusIndex, rows.length - 1)];
      const button = target?.querySelector<HTMLButtonElement>(`button[data-action="${focusAction ?? 'remove'}"]:not([hidden])`) ?? target?.querySelector<HTMLButtonElement>('button[data-action]:not([hidden])');
      (button ?? dom.state).focus();
    }
    this.keepFocus(active);

    dom.empty.hidden = jobs.length > 0;
    dom.tableWrap.hidden = jobs.length === 0;
    if (jobs.length === 0) {
      setText(
        dom.empty,
        this.nameFilter !== ''
          ? 'No jobs match this filter.'
          : view === 'failed'
            ? 'No failed jobs: the dead-letter store is empty.'
            : view === 'all'
              ? 'No jobs yet.'
              : `No ${STATE_LABELS[view].toLowerCase()} jobs.`,
      );
    }

    const size = this.pageSize;
    const from = this.page * size + 1;
    const to = this.page * size + jobs.length;
    const total = this.knownTotal(counts);
    setText(dom.range, jobs.length === 0 ? '' : `${String(from)}–${String(to)}${total !== undefined ? ` of ${String(total)}` : ''}`);
    dom.prev.disabled = this.page === 0;
    dom.next.disabled = !hasNext;
    this.keepFocus(active);
  }

  /** A focused control that just got disabled or hidden hands focus to a neighbour, not to the page. */
  private keepFocus(active: Element | null): void {
    if (!(active instanceof HTMLButtonElement) || !active.isConnected) return;
    if (!active.disabled && !active.hidden && !active.closest('[hidden]')) return;
    const { dom } = this;
    const usable = (b: HTMLButtonElement | null | undefined) => (b && !b.disabled && !b.hidden && !b.closest('[hidden]') ? b : undefined);
    const fallback =
      (active.dataset.action === 'retry' ? usable(active.closest('tr')?.querySelector<HTMLButtonElement>('button[data-action="remove"]')) : undefined) ??
      (active === dom.next ? usable(dom.prev) : active === dom.prev ? usable(dom.next) : undefined) ??
      dom.state;
    fallback.focus();
  }

  private createRow(job: Job): Row {
    const name = document.createTextNode('');
    const idText = el('span', { class: 'id' });
    const badge = el('span', { class: 'badge' });
    const bar = el('progress', { max: '1' });
    const pct = el('span', { class: 'pct' });
    const progressText = el('span', {});
    const retry = el('button', { type: 'button', 'data-action': 'retry' }, 'Retry');
    const remove = el('button', { type: 'button', class: 'danger', 'data-action': 'remove' }, 'Remove');
    const nameCell = el('th', { scope: 'row', class: 'name' }, name, idText);
    const priority = el('td', { class: 'num' });
    const attempts = el('td', { class: 'num' });
    const when = el('td', { class: 'when' });
    const error = el('td', { class: 'error' });
    const data = el('td', { class: 'data' });
    const tr = el(
      'tr',
      {},
      nameCell,
      el('td', { class: 'state' }, badge),
      priority,
      attempts,
      when,
      el('td', { class: 'progress' }, bar, pct, progressText),
      error,
      data,
      el('td', { class: 'actions' }, retry, remove),
    );
    tr.dataset.id = job.id;
    return { id: job.id, job, tr, name, idText, badge, priority, attempts, when, bar, pct, progressText, error, data, retry, remove };
  }

  private updateRow(row: Row, job: Job, now: number): void {
    const previous = row.job;
    row.job = job;
    const fresh = row.name.data === '';
    if (fresh || previous.name !== job.name) {
      setText(row.name, truncate(job.name, 48));
      setAttr(row.name.parentElement as Element, 'title', job.name.length > 48 ? truncate(job.name, 1000) : null);
    }
    setText(row.idText, shortId(job.id));
    setAttr(row.idText, 'title', `id ${job.id}, added ${absoluteTime(job.createdAt)}`);
    row.tr.dataset.state = job.state;
    setText(row.badge, STATE_LABELS[job.state]);
    setText(row.priority, String(job.priority));
    setText(row.attempts, `${String(job.attempts)} / ${String(job.maxAttempts)}`);
    setAttr(row.attempts, 'title', `${String(job.attempts)} of ${String(job.maxAttempts)} attempts used`);
    this.renderWhen(row, now);

    // A completed job is done, whatever its handler last reported.
    const fraction = job.state === 'completed' ? 1 : progressFraction(job.progress);
    if (fraction === undefined) {
      row.bar.hidden = true;
      setText(row.pct, '');
      setText(row.progressText, job.progress === undefined ? '—' : preview(job.progress, 40));
    } else {
      row.bar.hidden = false;
      if (row.bar.value !== fraction) row.bar.value = fraction;
      const percent = `${String(Math.round(fraction * 100))}%`;
      setAttr(row.bar, 'aria-label', `Progress of ${truncate(job.name, 60)}`);
      setText(row.pct, percent);
      setText(row.progressText, '');
    }

    const err = job.error ? `${job.error.name}: ${job.error.message}` : '';
    setText(row.error, err === '' ? '—' : truncate(err, 240));
    setAttr(row.error, 'data-none', err === '' ? '' : null);
    setAttr(row.error, 'title', err === '' ? null : truncate(err, 2000));
    if (previous.data !== job.data || fresh) {
      setText(row.data, preview(job.data, 100));
      setAttr(row.data, 'title', preview(job.data, 1000));
    }

    const label = `${truncate(job.name, 60)} ${shortId(job.id)}`;
    row.retry.hidden = job.state !== 'failed';
    setAttr(row.retry, 'aria-label', `Retry ${label}`);
    setAttr(row.remove, 'aria-label', `Remove ${label}`);
  }

  private renderWhen(row: Row, now: number): void {
    const job = row.job;
    let text: string;
    let at: number | undefined;
    switch (job.state) {
      case 'pending':
        at = job.runAt;
        text = job.runAt <= now ? 'ready' : `runs ${relativeTime(job.runAt, now)}`;
        break;
      case 'retrying':
        at = job.runAt;
        text = job.runAt <= now ? 'retry ready' : `retry ${relativeTime(job.runAt, now)}`;
        break;
      case 'processing':
        text = 'running';
        break;
      case 'completed':
      case 'failed':
        at = job.finishedAt;
        text = at === undefined ? '—' : `${job.state === 'completed' ? 'done' : 'failed'} ${relativeTime(at, now)}`;
        break;
    }
    setText(row.when, text);
    setAttr(row.when, 'title', at === undefined ? null : absoluteTime(at));
  }
}

function listOptions(state: JobState | undefined, name: string | undefined, limit: number, offset: number): ListOptions {
  const options: ListOptions = { limit, offset };
  if (state !== undefined) options.state = state;
  if (name !== undefined) options.name = name;
  return options;
}
