import type { StorageStatus } from '../persistence.js';
import type { Job, JobState } from '../types.js';
import { knownTotal, THROUGHPUT_WINDOW_MS, type Loaded, type Query, type StateFilter } from './controller.js';
import { absoluteTime, bytes, preview, progressFraction, relativeTime, truncate } from './format.js';
import { applyStyles } from './styles.js';

/** The screen-reader summary of the counts changes at most this often. */
const LIVE_SUMMARY_MS = 3000;

export const STATE_LABELS: Record<JobState, string> = {
  pending: 'Pending',
  processing: 'Processing',
  retrying: 'Retrying',
  completed: 'Completed',
  failed: 'Failed',
};
/** Display order: the way a job flows. */
export const STATE_ORDER: readonly JobState[] = ['pending', 'processing', 'retrying', 'completed', 'failed'];

/** Everything the view shows; the element assembles it from its controller and its own state. */
export interface ViewModel {
  /** The queue's name, or undefined before there is one. */
  queueName: string | undefined;
  /** The query the user asked for (the loaded page may still answer an earlier one). */
  query: Query;
  loaded: Loaded | undefined;
  paused: boolean | undefined;
  /** Runners of the queue in every tab, once known. */
  runners: number | undefined;
  online: boolean;
  /** The browser's answer about the origin's storage, once read. */
  storage: StorageStatus | undefined;
  pauseBusy: boolean;
  /** Completions in the throughput window. */
  throughput: number;
  names: ReadonlySet<string>;
  now: number;
}

/** What the user asked for, handed to the element. */
export interface ViewActions {
  /** The state select. */
  filterState(state: StateFilter): void;
  /** A state tile: shows that state, or every job if it is shown already. */
  toggleState(state: JobState): void;
  /** The name field, as the user types. */
  filterName(name: string): void;
  turnPage(delta: 1 | -1): void;
  togglePause(): void;
  retry(job: Job): void;
  remove(job: Job): void;
  retryAll(): void;
  removeAll(): void;
}

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

export const shortId = (id: string): string => (id.length > 8 ? id.slice(0, 8) : id);

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
  whenText: HTMLElement;
  /** What holds a pending job back (its group, its dependencies), and its expiry. */
  waits: HTMLElement;
  expires: HTMLElement;
  group: HTMLElement;
  progress: HTMLTableCellElement;
  bar: HTMLProgressElement;
  pct: HTMLElement;
  progressText: HTMLElement;
  error: HTMLTableCellElement;
  data: HTMLTableCellElement;
  retry: HTMLButtonElement;
  remove: HTMLButtonElement;
}

/**
 * The dashboard's DOM: built once into the shadow root, then brought up to date by
 * `render(model)`, which writes only what changed (so focus, selection and scroll stay put).
 * Everything from the store is set as text or attributes, never parsed as HTML.
 */
export class DashboardView {
  private readonly shadow: ShadowRoot;
  private readonly dom: {
    root: HTMLElement;
    queueName: HTMLElement;
    runState: HTMLElement;
    pause: HTMLButtonElement;
    throughputRate: HTMLElement;
    storage: HTMLElement;
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
  private shownNames = 0;
  private shownLoad: Loaded | undefined;
  private summaryText = '';
  private summaryAt = 0;

  constructor(host: HTMLElement, actions: ViewActions) {
    this.shadow = host.attachShadow({ mode: 'open' });
    applyStyles(this.shadow);
    const headingId = 'jobrail-heading';
    const queueName = el('span', { class: 'queue-name' }, '—');
    const runState = el('p', { class: 'run-state', 'aria-live': 'polite', 'data-paused': 'unknown' }, 'Loading…');
    const pause = el('button', { type: 'button', 'data-role': 'pause', disabled: '' }, 'Pause queue');
    const throughputRate = el('strong', {}, '0');
    const throughput = el('p', { class: 'throughput', title: `Jobs completed in any tab over the last ${String(THROUGHPUT_WINDOW_MS / 1000)} s` }, throughputRate, ' completed in the last minute');
    const header = el('header', {}, el('h2', { id: headingId }, 'Queue ', queueName), runState, pause, throughput);
    const storage = el('p', { class: 'storage', hidden: '' });

    const countsList = el('ul', { class: 'counts', 'aria-label': 'Jobs per state' });
    const counts = {} as Record<JobState, { button: HTMLButtonElement; value: HTMLElement }>;
    for (const state of STATE_ORDER) {
      const value = el('span', { class: 'value' }, '–');
      const label = state === 'failed' ? 'Failed (dead letter)' : STATE_LABELS[state];
      const button = el('button', { type: 'button', 'data-state': state, 'aria-pressed': 'false', title: `Show ${label.toLowerCase()} jobs` }, el('span', { class: 'label' }, label), value);
      button.addEventListener('click', () => actions.toggleState(state));
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
    state.addEventListener('change', () => actions.filterState(state.value as StateFilter));
    name.addEventListener('input', () => actions.filterName(name.value));

    const bulkText = el('p', {});
    const retryAll = el('button', { type: 'button', 'data-role': 'retry-all' }, 'Retry all');
    const removeAll = el('button', { type: 'button', class: 'danger', 'data-role': 'remove-all' }, 'Remove all');
    const bulk = el('div', { class: 'bulk', role: 'group', 'aria-label': 'Bulk actions', hidden: '' }, bulkText, retryAll, removeAll);
    retryAll.addEventListener('click', () => actions.retryAll());
    removeAll.addEventListener('click', () => actions.removeAll());

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
    tbody.addEventListener('click', (e) => {
      const button = (e.target as Element | null)?.closest?.('button[data-action]');
      if (!(button instanceof HTMLButtonElement)) return;
      const tr = button.closest('tr');
      const row = tr ? this.rows.get(tr.dataset.id ?? '') : undefined;
      if (!row) return;
      if (button.dataset.action === 'retry') actions.retry(row.job);
      else if (button.dataset.action === 'remove') actions.remove(row.job);
    });
    const table = el('table', {}, caption, el('thead', {}, head), tbody);
    const tableWrap = el('div', { class: 'table-wrap', role: 'region', 'aria-label': 'Jobs', tabindex: '0' }, table);
    const empty = el('p', { class: 'empty', hidden: '' });

    const prev = el('button', { type: 'button', 'data-role': 'prev', disabled: '' }, 'Previous page');
    const next = el('button', { type: 'button', 'data-role': 'next', disabled: '' }, 'Next page');
    const range = el('span', { class: 'range', 'aria-live': 'polite' });
    const pager = el('nav', { class: 'pager', 'aria-label': 'Job list pages' }, prev, range, next);
    prev.addEventListener('click', () => actions.turnPage(-1));
    next.addEventListener('click', () => actions.turnPage(1));
    // Busy, not disabled, while it acts: disabling the focused button would drop keyboard focus.
    pause.addEventListener('click', () => actions.togglePause());

    const message = el('p', { class: 'message', role: 'status', 'aria-live': 'polite' });
    const root = el('section', { class: 'root', 'aria-labelledby': headingId, part: 'root' }, header, countsList, summary, filters, bulk, tableWrap, empty, pager, message, storage);
    this.shadow.append(root);
    this.dom = { root, queueName, runState, pause, throughputRate, storage, counts, summary, state, name, names, bulk, bulkText, retryAll, removeAll, tableWrap, caption, tbody, empty, prev, next, range, message };
  }

  /** Puts the query into the filter controls (when set from outside, not while the user types). */
  setControls(query: Pick<Query, 'state' | 'name'>): void {
    this.dom.state.value = query.state;
    this.dom.name.value = query.name;
  }

  /** The status line under the table. */
  say(text: string, kind: 'info' | 'error' = 'info'): void {
    setText(this.dom.message, text);
    this.dom.message.dataset.kind = kind;
  }

  render(model: ViewModel): void {
    const { dom } = this;
    setText(dom.queueName, model.queueName ?? '—');
    this.renderPaused(model);
    this.renderFilter(model.query);
    this.renderNames(model.names);
    setText(dom.throughputRate, String(model.throughput));
    this.renderStorage(model.storage);
    const loaded = model.loaded;
    if (loaded) {
      for (const s of STATE_ORDER) setText(dom.counts[s].value, String(loaded.counts[s]));
    }
    this.renderSummary(model);
    if (loaded !== this.shownLoad) {
      this.shownLoad = loaded;
      this.renderJobs(loaded, model.now);
    } else {
      // Relative times move on without a store read.
      for (const row of this.rows.values()) this.renderWhen(row, model.now);
    }
  }

  /**
   * Says only what the dashboard knows: the stored paused flag, whether any tab runs the
   * queue (`queue.runners()`), and whether the browser is online.
   */
  private renderPaused(model: ViewModel): void {
    const { runState, pause } = this.dom;
    setAttr(pause, 'aria-busy', model.pauseBusy ? 'true' : null);
    if (model.paused === undefined) return;
    runState.dataset.paused = String(model.paused);
    const n = model.runners;
    let run: string;
    let text: string;
    let title: string;
    if (model.paused) {
      [run, text, title] = ['paused', 'Paused', 'No new job starts in any tab until the queue is resumed.'];
    } else if (n === 0) {
      [run, text, title] = ['none', 'No runner open', 'No open tab runs this queue: jobs wait until a page calls startWorkers (or Background Sync drains it).'];
    } else if (!model.online) {
      [run, text, title] = ['offline', 'Offline: network jobs wait', 'The browser is offline: jobs that require the network wait without using up retries; others still run.'];
    } else {
      run = 'running';
      text = 'Running';
      title = n === undefined ? 'Not paused.' : `${String(n)} ${n === 1 ? 'runner' : 'runners'} in open tabs.`;
    }
    runState.dataset.run = run;
    setText(runState, text);
    setAttr(runState, 'title', title);
    setText(pause, model.paused ? 'Resume queue' : 'Pause queue');
    pause.disabled = false;
  }

  /** Whether the browser may evict the jobs, and the origin's usage of its quota, as far as it tells. */
  private renderStorage(status: StorageStatus | undefined): void {
    const node = this.dom.storage;
    node.hidden = status === undefined;
    if (!status) return;
    const kept =
      status.persisted === true
        ? 'Storage persisted: the browser keeps it'
        : status.persisted === false
          ? 'Storage best-effort: the browser may evict it'
          : 'Storage persistence unknown';
    const { usage, quota } = status;
    const used = usage === undefined ? '' : quota === undefined ? ` · ${bytes(usage)} used` : ` · ${bytes(usage)} of ${bytes(quota)} used (whole origin)`;
    node.dataset.persisted = String(status.persisted);
    setText(node, `${kept}${used}`);
  }

  private renderFilter(query: Pick<Query, 'state' | 'name'>): void {
    for (const s of STATE_ORDER) setAttr(this.dom.counts[s].button, 'aria-pressed', String(query.state === s));
    const label = query.state === 'all' ? 'All jobs' : query.state === 'failed' ? 'Dead-letter store (failed jobs)' : `${STATE_LABELS[query.state]} jobs`;
    setText(this.dom.caption, `${label}${query.name ? ` named “${query.name}”` : ''}, newest first`);
    this.dom.root.dataset.view = query.state;
  }

  private renderNames(names: ReadonlySet<string>): void {
    const list = this.dom.names;
    if (names.size < this.shownNames) {
      list.replaceChildren();
      this.shownNames = 0;
    }
    if (names.size === this.shownNames) return;
    let i = 0;
    for (const name of names) {
      if (i++ < this.shownNames) continue;
      const option = document.createElement('option');
      option.value = name;
      list.append(option);
    }
    this.shownNames = names.size;
  }

  private renderSummary(model: ViewModel): void {
    const counts = model.loaded?.counts;
    if (!counts) return;
    const text = `${STATE_ORDER.map((s) => `${String(counts[s])} ${s === 'failed' ? 'failed' : STATE_LABELS[s].toLowerCase()}`).join(', ')}${model.paused ? '; queue paused' : ''}.`;
    if (text === this.summaryText || model.now - this.summaryAt < LIVE_SUMMARY_MS) return;
    this.summaryText = text;
    this.summaryAt = model.now;
    setText(this.dom.summary, text);
  }

  private renderJobs(loaded: Loaded | undefined, now: number): void {
    const { dom } = this;
    if (!loaded) {
      for (const row of this.rows.values()) row.tr.remove();
      this.rows.clear();
      return;
    }
    const { counts, jobs, hasNext, query } = loaded;

    // Bulk actions for the dead-letter store and for completed jobs.
    const view = query.state;
    if (view === 'failed' || view === 'completed') {
      const n = counts[view];
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
    const active = this.shadow.activeElement;
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
        query.name !== ''
          ? 'No jobs match this filter.'
          : view === 'failed'
            ? 'No failed jobs: the dead-letter store is empty.'
            : view === 'all'
              ? 'No jobs yet.'
              : `No ${STATE_LABELS[view].toLowerCase()} jobs.`,
      );
    }

    const { page, pageSize: size } = query;
    const from = page * size + 1;
    const to = page * size + jobs.length;
    const total = knownTotal(query, counts);
    setText(dom.range, jobs.length === 0 ? '' : `${String(from)}–${String(to)}${total !== undefined ? ` of ${String(total)}` : ''}`);
    dom.prev.disabled = page === 0;
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
    const group = el('span', { class: 'group', hidden: '' });
    const nameCell = el('th', { scope: 'row', class: 'name' }, name, idText, group);
    const priority = el('td', { class: 'num priority' });
    const attempts = el('td', { class: 'num attempts' });
    const whenText = el('span', {});
    const waits = el('span', { class: 'waits', hidden: '' });
    const expires = el('span', { class: 'expires', hidden: '' });
    const when = el('td', { class: 'when' }, whenText, waits, expires);

    const error = el('td', { class: 'error' });
    const data = el('td', { class: 'data' });
    const progress = el('td', { class: 'progress' }, bar, pct, progressText);
    const tr = el(
      'tr',
      {},
      nameCell,
      el('td', { class: 'state' }, badge),
      priority,
      attempts,
      when,
      progress,
      error,
      data,
      el('td', { class: 'actions' }, retry, remove),
    );
    tr.dataset.id = job.id;
    return { id: job.id, job, tr, name, idText, badge, priority, attempts, when, whenText, waits, expires, group, progress, bar, pct, progressText, error, data, retry, remove };
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
    const group = job.group;
    row.group.hidden = group === undefined;
    setText(row.group, group === undefined ? '' : `group ${truncate(group, 40)}`);
    setAttr(row.group, 'title', group === undefined ? null : `Runs after the earlier jobs of group ${truncate(group, 1000)}, one at a time`);
    setAttr(row.idText, 'title', `id ${job.id}, added ${absoluteTime(job.createdAt)}`);
    row.tr.dataset.state = job.state;
    setText(row.badge, STATE_LABELS[job.state]);
    setText(row.priority, String(job.priority));
    setAttr(row.priority, 'data-zero', job.priority === 0 ? '' : null);
    setText(row.attempts, `${String(job.attempts)} / ${String(job.maxAttempts)}`);
    setAttr(row.attempts, 'title', `${String(job.attempts)} of ${String(job.maxAttempts)} attempts used`);
    this.renderWhen(row, now);

    // Progress belongs to an attempt: shown while one runs; a completed job is done, whatever
    // its handler last reported; a job waiting for its next attempt has none yet.
    const live = job.state === 'processing';
    const fraction = job.state === 'completed' ? 1 : live ? progressFraction(job.progress) : undefined;
    if (fraction === undefined) {
      row.bar.hidden = true;
      setText(row.pct, '');
      setText(row.progressText, !live || job.progress === undefined ? '—' : preview(job.progress, 40));
      setAttr(row.progress, 'data-none', row.progressText.textContent === '—' ? '' : null);
    } else {
      setAttr(row.progress, 'data-none', null);
      row.bar.hidden = false;
      if (row.bar.value !== fraction) row.bar.value = fraction;
      const percent = `${String(Math.round(fraction * 100))}%`;
      setAttr(row.bar, 'aria-label', `Progress of ${truncate(job.name, 60)}`);
      setText(row.pct, percent);
      setText(row.progressText, '');
    }

    // The last error is news while the job is retrying or failed. Once it runs again, or has
    // completed, it is an earlier attempt's: still said (a crash is worth knowing), but muted.
    const err = job.error ? `${job.error.name}: ${job.error.message}` : '';
    const earlier = err !== '' && job.state !== 'retrying' && job.state !== 'failed';
    setText(row.error, err === '' ? '—' : `${earlier ? 'Earlier attempt: ' : ''}${truncate(err, 240)}`);
    setAttr(row.error, 'data-none', err === '' ? '' : null);
    setAttr(row.error, 'data-earlier', earlier ? '' : null);
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
    // A pending job held back by the job ahead of it in its group, or by its dependencies.
    const waitingFor = job.state === 'pending' ? (job.waitingFor ?? []) : [];
    if (waitingFor.length > 0) text = 'waiting';
    setText(row.whenText, text);
    setAttr(row.when, 'title', at === undefined ? null : absoluteTime(at));
    row.waits.hidden = waitingFor.length === 0;
    setText(
      row.waits,
      waitingFor.length === 0 ? '' : `for ${waitingFor.slice(0, 3).map(shortId).join(', ')}${waitingFor.length > 3 ? ` +${String(waitingFor.length - 3)} more` : ''}`,
    );
    setAttr(row.waits, 'title', waitingFor.length === 0 ? null : `Starts once these jobs have ended: ${waitingFor.join(', ')}`);
    // Expiry matters only while the job has not started for good.
    const expiresAt = job.state === 'pending' || job.state === 'retrying' ? job.expiresAt : undefined;
    row.expires.hidden = expiresAt === undefined;
    setText(row.expires, expiresAt === undefined ? '' : expiresAt <= now ? 'expired' : `expires ${relativeTime(expiresAt, now)}`);
    setAttr(row.expires, 'title', expiresAt === undefined ? null : `Fails with ExpiredError if not started by ${absoluteTime(expiresAt)}`);
  }
}
