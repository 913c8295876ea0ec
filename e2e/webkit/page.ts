/**
 * The part of Playwright's Page / BrowserContext / Locator API that the e2e specs use,
 * implemented over WebDriver classic for WebKitGTK (which Playwright cannot drive): the specs
 * are written once, against Playwright's API, and `e2e/test.ts` hands them these objects in
 * the webkit project.
 *
 * What it provides: context.newPage/pages/close; page.goto/reload (waitUntil 'load' or
 * 'commit'), evaluate, waitForFunction, waitForTimeout, close, url, on('pageerror' |
 * 'console' | 'close'), keyboard, setViewportSize, screenshot; locators (locator.ts: css,
 * getByRole/getByLabel/getByText, filter, first/last/nth; click, fill, press, check,
 * selectOption, focus, evaluate, text and state reads) and the matchers Playwright's expect
 * polls through them. Anything else throws, naming what is missing: exclude the test in
 * WebKit with `onlyIn(...)` (e2e/test.ts), or add it here.
 *
 * Differences that a spec may notice:
 * - 'pageerror' and 'console' (errors only) are caught from when the adapter's hooks are
 *   installed (right after a load, or at the first evaluate after a 'commit' navigation), not
 *   during the page's first script; errors inside workers are not seen.
 * - Windows of a session are separate top-level windows, all visible (no hidden tabs).
 * - The default viewport is MiniBrowser's (1024 × 747), not Playwright's 1280 × 720.
 * - Screenshots cover the viewport only (`fullPage` too): WebDriver classic has no full-page capture.
 * - evaluate() values cross as JSON with the types Playwright keeps (undefined, NaN, ±0,
 *   ±Infinity, Date, RegExp, Error, BigInt); DOM nodes and other host objects become `{}`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Session } from './webdriver.js';
import { domEngine } from './dom.js';
import { WdKeyboard, WdLocator, type LocatorOptions, type RoleOptions } from './locator.js';

/** Runs one command at a time: a WebDriver session has a single "current window". */
class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

/** Both realms use these two (the page gets their source): values with the types Playwright keeps. */
export function encode(value: unknown, seen: Set<object> = new Set()): unknown {
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') return { $u: 1 };
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return { $n: 'NaN' };
    if (value === Infinity) return { $n: 'Infinity' };
    if (value === -Infinity) return { $n: '-Infinity' };
    if (Object.is(value, -0)) return { $n: '-0' };
    return value;
  }
  if (typeof value === 'bigint') return { $b: String(value) };
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return { $d: value.getTime() };
  if (value instanceof RegExp) return { $r: [value.source, value.flags] };
  if (value instanceof Error) return { $e: [value.name, value.message, value.stack ?? ''] };
  if (seen.has(value)) return { $u: 1 };
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((v) => encode(v, seen));
    // Entries, not an object: key order survives the JSON round trip.
    return { $o: Object.keys(value).map((k) => [k, encode((value as Record<string, unknown>)[k], seen)]) };
  } finally {
    seen.delete(value);
  }
}

export function decode(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(decode);
  const v = value as Record<string, unknown>;
  if ('$u' in v) return undefined;
  if ('$n' in v) return v.$n === '-0' ? -0 : Number(v.$n);
  if ('$b' in v) return BigInt(v.$b as string);
  if ('$d' in v) return new Date(v.$d as number);
  if ('$r' in v) return new RegExp(...(v.$r as [string, string]));
  if ('$e' in v) {
    const [name, message, stack] = v.$e as [string, string, string];
    const error = new Error(message);
    error.name = name;
    error.stack = stack;
    return error;
  }
  if ('$o' in v) return Object.fromEntries((v.$o as [string, unknown][]).map(([k, x]) => [k, decode(x)]));
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decode(x)]));
}

/**
 * Installed once per document: the codec, results of evaluations that outlast one WebDriver
 * call, and the page's errors since the last call.
 */
export const RUNTIME = `
if (!window.__wd) {
  const encode = ${encode.toString()};
  const decode = ${decode.toString()};
  const errors = [];
  addEventListener('error', (e) => errors.push({ kind: 'pageerror', name: (e.error && e.error.name) || 'Error', text: (e.error && e.error.message) || e.message }));
  addEventListener('unhandledrejection', (e) => errors.push({ kind: 'pageerror', name: (e.reason && e.reason.name) || 'Error', text: String((e.reason && e.reason.message) || e.reason) }));
  const consoleError = console.error.bind(console);
  console.error = (...args) => { errors.push({ kind: 'console', text: args.map((a) => (a instanceof Error ? String(a) : typeof a === 'string' ? a : JSON.stringify(a))).join(' ') }); consoleError(...args); };
  window.__wd = { encode, decode, dom: (${domEngine.toString()})(), results: new Map(), drain: () => errors.splice(0) };
}
`;

type Reply = { ok: unknown; errors: PageEvent[] } | { err: string; errors: PageEvent[] } | { pending: true };
type PageEvent = { kind: 'pageerror' | 'console'; name?: string; text: string };

let evalSeq = 0;

export function unsupported(what: string): never {
  throw new Error(`${what} is not provided by the WebKit adapter (e2e/webkit/page.ts): exclude the test in WebKit with onlyIn(…) from e2e/test.ts, saying why, or add it to the adapter`);
}

/** Wraps an adapter object so that any member it lacks throws with a message that names it. */
export function strict<T extends object>(target: T, kind: string): T {
  return new Proxy(target, {
    get(t, prop, receiver) {
      if (typeof prop === 'symbol' || prop in t || prop === 'then' || prop === 'toJSON' || prop === 'asymmetricMatch' || prop === '$$typeof' || prop === 'nodeType')
        return Reflect.get(t, prop, receiver);
      return unsupported(`${kind}.${prop}`);
    },
  });
}

export class WdContext {
  private current: string | undefined;
  private readonly mutex = new Mutex();
  private readonly open = new Set<WdPage>();

  constructor(
    readonly session: Session,
    readonly baseURL: string,
    /** The session's first window, never handed out: closing every page never ends the session. */
    private readonly anchor: string,
  ) {}

  static async create(session: Session, baseURL: string): Promise<WdContext> {
    return strict(new WdContext(session, baseURL, await session.cmd<string>('GET', '/window')), 'context');
  }

  /** A new top-level window, opened from the anchor (WebDriver needs an open current window for it). */
  async newPage(): Promise<WdPage> {
    const { handle } = await this.inWindow(this.anchor, () => this.session.cmd<{ handle: string }>('POST', '/window/new', { type: 'window' }));
    const page = strict(new WdPage(this, handle), 'page');
    this.open.add(page);
    return page;
  }

  pages(): WdPage[] {
    return [...this.open];
  }

  /** Runs `fn` with `handle` as the session's current window. */
  inWindow<T>(handle: string, fn: () => Promise<T>): Promise<T> {
    return this.mutex.run(async () => {
      if (this.current !== handle) {
        // Seen once right after a back/forward navigation: the switch fails with "unknown
        // error" and works a moment later.
        for (let tries = 1; ; tries++) {
          try {
            await this.session.cmd('POST', '/window', { handle });
            break;
          } catch (error) {
            if (tries >= 3) throw error;
            await new Promise((r) => setTimeout(r, 200));
          }
        }
        this.current = handle;
      }
      return fn();
    });
  }

  forget(page: WdPage): void {
    this.open.delete(page);
    this.current = undefined;
  }

  async close(): Promise<void> {
    this.open.clear();
    await this.session.delete().catch(() => undefined);
  }
}

export class WdPage {
  private closed = false;
  private lastUrl = 'about:blank';
  private readonly listeners = new Map<string, ((arg: unknown) => void)[]>();

  constructor(
    private readonly ctx: WdContext,
    readonly handle: string,
  ) {}

  context(): WdContext {
    return this.ctx;
  }

  url(): string {
    return this.lastUrl;
  }

  isClosed(): boolean {
    return this.closed;
  }

  on(event: string, listener: (arg: never) => void): this {
    // Workers' own events are not reachable over WebDriver classic (see the header).
    if (event === 'worker') return this;
    if (event !== 'pageerror' && event !== 'console' && event !== 'close') unsupported(`page.on('${event}')`);
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener as (arg: unknown) => void]);
    return this;
  }

  private emit(event: string, arg: unknown): void {
    for (const l of this.listeners.get(event) ?? []) l(arg);
  }

  private dispatch(events: PageEvent[]): void {
    for (const e of events) {
      if (e.kind === 'pageerror') {
        const error = new Error(e.text);
        error.name = e.name ?? 'Error';
        this.emit('pageerror', error);
      } else {
        this.emit('console', { type: () => 'error', text: () => e.text });
      }
    }
  }

  /** One WebDriver command, with this page's window current. */
  cmd<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
    if (this.closed) throw new Error('page is closed');
    return this.ctx.inWindow(this.handle, () => this.ctx.session.cmd<T>(method, path, body));
  }

  async goto(url: string, options: { waitUntil?: 'load' | 'commit' } = {}): Promise<null> {
    const target = new URL(url, this.ctx.baseURL).href;
    this.lastUrl = target;
    if (options.waitUntil === 'commit') {
      await this.cmd('POST', '/execute/sync', { script: 'location.href = arguments[0]', args: [target] });
    } else {
      await this.cmd('POST', '/url', { url: target });
      await this.install();
    }
    return null;
  }

  async reload(options: { waitUntil?: 'load' | 'commit' } = {}): Promise<null> {
    if (options.waitUntil === 'commit') {
      await this.cmd('POST', '/execute/sync', { script: 'setTimeout(() => location.reload())', args: [] });
    } else {
      // Once, under load, the commands after a refresh read errors that only a document being
      // torn down throws ("Responsible document is not fully active"): they must run in the
      // new document, which a mark left on the old window tells apart.
      await this.cmd('POST', '/execute/sync', { script: 'window.__wdReloading = true', args: [] });
      await this.cmd('POST', '/refresh', {});
      const until = Date.now() + 60_000;
      while (!(await this.cmd<boolean>('POST', '/execute/sync', { script: "return !window.__wdReloading && document.readyState === 'complete'", args: [] }))) {
        if (Date.now() > until) throw new Error('page.reload: the page did not load again within 60 s');
        await new Promise((r) => setTimeout(r, 20));
      }
      await this.install();
    }
    return null;
  }

  private async install(): Promise<void> {
    await this.cmd('POST', '/execute/sync', { script: RUNTIME, args: [] });
  }

  /**
   * Runs `fn(arg)` in the page. A result ready within 100 ms comes back in the same call;
   * a longer one is kept in the page and polled, so a long wait in one window never blocks
   * the commands of the others.
   */
  evaluate<R, A>(fn: ((arg: A) => R | Promise<R>) | string, arg?: A): Promise<R> {
    return this.evaluateSource<R>(typeof fn === 'function' ? fn.toString() : `() => (${fn})`, arg);
  }

  /** evaluate() of a function given as source text (the locators build theirs around the spec's). */
  async evaluateSource<R>(source: string, arg?: unknown): Promise<R> {
    const id = `e${String(++evalSeq)}`;
    const script = `${RUNTIME}
      const [arg, id, done] = arguments;
      const w = window.__wd;
      let answered = false;
      const finish = (r) => { if (answered) w.results.set(id, r); else { answered = true; done(r); } };
      Promise.resolve()
        .then(() => (${source})(w.decode(arg)))
        .then((v) => finish({ ok: w.encode(v), errors: w.drain() }), (e) => finish({ err: (e instanceof Error ? e.name + ': ' + e.message + '\\n' + e.stack : String(e)), errors: w.drain() }));
      setTimeout(() => { if (!answered) { answered = true; done({ pending: true }); } }, 100);`;
    let reply = await this.cmd<Reply>('POST', '/execute/async', { script, args: [encode(arg), id] }).catch((e) => { if (process.env.WD_DEBUG) console.log(script); throw e; });
    while ('pending' in reply) {
      await new Promise((r) => setTimeout(r, 20));
      const polled = await this.cmd<Reply | { gone: true } | null>('POST', '/execute/sync', {
        script: 'const w = window.__wd; if (!w) return { gone: true }; const r = w.results.get(arguments[0]); if (r) w.results.delete(arguments[0]); return r || { pending: true };',
        args: [id],
      });
      if (polled && 'gone' in polled) throw new Error('page.evaluate: Execution context was destroyed, most likely because of a navigation');
      reply = polled ?? { pending: true };
    }
    this.dispatch(reply.errors);
    if ('err' in reply) throw new Error(`page.evaluate: ${reply.err}`);
    return decode(reply.ok) as R;
  }

  async waitForFunction<A>(fn: ((arg: A) => unknown) | string, arg?: A, options: { timeout?: number; polling?: number } = {}): Promise<{ jsonValue(): Promise<unknown> }> {
    const until = Date.now() + (options.timeout ?? 30_000);
    for (;;) {
      const value = await this.evaluate(fn as (arg: A) => unknown, arg);
      if (value) return { jsonValue: async () => value };
      if (Date.now() > until) throw new Error(`page.waitForFunction: Timeout ${String(options.timeout ?? 30_000)}ms exceeded`);
      await new Promise((r) => setTimeout(r, options.polling ?? 50));
    }
  }

  /** 'load' (the only state the specs wait for): the document has finished loading. */
  async waitForLoadState(_state: 'load' = 'load', options: { timeout?: number } = {}): Promise<void> {
    await this.waitForFunction(() => document.readyState === 'complete', undefined, options);
  }

  async waitForTimeout(ms: number): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.ctx.inWindow(this.handle, () => this.ctx.session.cmd('DELETE', '/window'));
    this.closed = true;
    this.ctx.forget(this);
    this.emit('close', this);
  }

  /** Runs `script` synchronously in the page with the adapter's runtime (WebDriver keeps element arguments and results as elements). */
  async exec<T>(script: string, args: unknown[] = []): Promise<T> {
    return this.cmd<T>('POST', '/execute/sync', { script: `${RUNTIME}\n${script}`, args });
  }

  /** WebDriver "Perform Actions": real (trusted) input events, as a user's. */
  async actions(actions: unknown[]): Promise<void> {
    await this.cmd('POST', '/actions', { actions });
  }

  readonly keyboard = strict(new WdKeyboard(this), 'keyboard');

  private viewport: { width: number; height: number } | null = null;

  viewportSize(): { width: number; height: number } | null {
    return this.viewport;
  }

  /**
   * Sizes the window so that the viewport (innerWidth × innerHeight) is `size`: WebDriver sets
   * the outer size, so the window's frame is measured and added. Narrow sizes rely on the GTK
   * style that WebKitDriver.start() gives MiniBrowser (its toolbar otherwise keeps 447 px).
   */
  async setViewportSize(size: { width: number; height: number }): Promise<void> {
    const measure = () => this.exec<[number, number, number, number]>('return [innerWidth, innerHeight, outerWidth, outerHeight]');
    const [iw, ih, ow, oh] = await measure();
    await this.cmd('POST', '/window/rect', { width: size.width + ow - iw, height: size.height + oh - ih });
    const until = Date.now() + 5_000;
    for (;;) {
      const [w, h] = await measure();
      if (w === size.width && h === size.height) break;
      if (Date.now() > until) throw new Error(`page.setViewportSize: asked for ${String(size.width)}×${String(size.height)}, the viewport stayed ${String(w)}×${String(h)} (MiniBrowser's window cannot take that size)`);
      await new Promise((r) => setTimeout(r, 50));
    }
    this.viewport = { ...size };
  }

  /** The viewport as a PNG (WebDriver classic has no full-page capture: `fullPage` takes the whole root element, clipped by WebKit to what it can draw). */
  async screenshot(options: { path?: string; fullPage?: boolean } = {}): Promise<Buffer> {
    let base64: string;
    if (options.fullPage) {
      const root = await this.exec<Record<string, string>>('return document.documentElement');
      base64 = await this.cmd<string>('GET', `/element/${Object.values(root)[0] ?? ''}/screenshot`);
    } else base64 = await this.cmd<string>('GET', '/screenshot');
    const png = Buffer.from(base64, 'base64');
    if (options.path) {
      mkdirSync(dirname(options.path), { recursive: true });
      writeFileSync(options.path, png);
    }
    return png;
  }

  locator(selector: string): WdLocator {
    return WdLocator.create(this, [{ css: selector }]);
  }
  getByRole(role: string, options: RoleOptions = {}): WdLocator {
    return WdLocator.create(this, []).getByRole(role, options);
  }
  getByLabel(text: string | RegExp, options: LocatorOptions = {}): WdLocator {
    return WdLocator.create(this, []).getByLabel(text, options);
  }
  getByText(text: string | RegExp, options: LocatorOptions = {}): WdLocator {
    return WdLocator.create(this, []).getByText(text, options);
  }
}

