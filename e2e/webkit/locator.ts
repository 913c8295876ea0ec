/**
 * Playwright's Locator and Keyboard for the WebKit adapter (see page.ts): a locator is a chain
 * of steps (css, role, label, text, filter, nth) that the page resolves afresh each time, with
 * dom.ts. Queries and matchers run as scripts in the page; clicks and keys are WebDriver's own
 * input (element click, perform actions), so the page gets trusted events as from a user.
 *
 * As in Playwright: actions and single-element matchers are strict (more than one match is an
 * error), actions wait until their element is attached, visible and enabled, and matchers poll
 * until they pass or time out.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Dom, Step } from './dom.js';
import type { WdPage } from './page.js';
import { WebDriverError } from './webdriver.js';

export type LocatorOptions = { exact?: boolean };
export type RoleOptions = { name?: string | RegExp; exact?: boolean; includeHidden?: boolean };
type Timeout = { timeout?: number };

type ExpectedText = { string?: string; regexSource?: string; regexFlags?: string; matchSubstring?: boolean; ignoreCase?: boolean; normalizeWhiteSpace?: boolean };
type ExpectOptions = {
  expectedText?: ExpectedText[];
  expectedNumber?: number;
  expectedValue?: { checked?: boolean; indeterminate?: boolean };
  expressionArg?: string;
  useInnerText?: boolean;
  isNot: boolean;
  timeout: number;
};
type ExpectResult = { matches: boolean; received?: { value: unknown }; log: string[]; timedOut?: boolean; errorMessage?: string };

/** What one poll of a matcher reads in the page. */
type Probe = { count: number; strict?: boolean; value?: unknown };

/** How long an action waits for its element when the spec gives no timeout (the test's own timeout bounds it too). */
const ACTION_TIMEOUT = 30_000;
const WEB_ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

/** Playwright key names to WebDriver's key codes (https://w3c.github.io/webdriver/#keyboard-actions). */
const KEYS: Record<string, string> = {
  Tab: '\uE004', Enter: '\uE007', Space: ' ', Escape: '\uE00C', Backspace: '\uE003', Delete: '\uE017', Insert: '\uE016',
  ArrowLeft: '\uE012', ArrowUp: '\uE013', ArrowRight: '\uE014', ArrowDown: '\uE015', Home: '\uE011', End: '\uE010',
  PageUp: '\uE00E', PageDown: '\uE00F', Shift: '\uE008', Control: '\uE009', Alt: '\uE00A', Meta: '\uE03D',
};

function keyCode(name: string): string {
  const code = KEYS[name] ?? ([...name].length === 1 ? name : undefined);
  if (code === undefined) throw new Error(`keyboard: unknown key "${name}" (the WebKit adapter knows ${Object.keys(KEYS).join(', ')} and single characters; add it to KEYS in e2e/webkit/locator.ts)`);
  return code;
}

/** page.keyboard: key presses and typing into whatever has focus, as WebDriver key actions. */
export class WdKeyboard {
  constructor(private readonly page: WdPage) {}

  /** A key or a chord such as 'Shift+Tab' (modifiers pressed in order, released in reverse). */
  async press(key: string): Promise<void> {
    const parts = key === '+' ? ['+'] : key.endsWith('++') ? [...key.slice(0, -2).split('+'), '+'] : key.split('+');
    const codes = parts.map(keyCode);
    await this.page.actions([
      { type: 'key', id: 'keyboard', actions: [...codes.map((value) => ({ type: 'keyDown', value })), ...codes.reverse().map((value) => ({ type: 'keyUp', value }))] },
    ]);
  }

  async type(text: string): Promise<void> {
    await this.page.actions([{ type: 'key', id: 'keyboard', actions: [...text].flatMap((value) => [{ type: 'keyDown', value }, { type: 'keyUp', value }]) }]);
  }

  async down(key: string): Promise<void> {
    await this.page.actions([{ type: 'key', id: 'keyboard', actions: [{ type: 'keyDown', value: keyCode(key) }] }]);
  }

  async up(key: string): Promise<void> {
    await this.page.actions([{ type: 'key', id: 'keyboard', actions: [{ type: 'keyUp', value: keyCode(key) }] }]);
  }
}

/** Playwright's ExpectedTextMatcher: a regex sees the text as it is, a string the normalized text. */
function textMatches(want: ExpectedText, text: string): boolean {
  const normalize = (s: string) => {
    let out = s;
    if (want.normalizeWhiteSpace) out = out.replace(/\u200b/g, '').trim().replace(/\s+/g, ' ');
    if (want.ignoreCase) out = out.toLocaleLowerCase();
    return out;
  };
  if (want.regexSource !== undefined) {
    const flags = new Set((want.regexFlags ?? '').replace('g', '').split(''));
    if (want.ignoreCase === true) flags.add('i');
    if (want.ignoreCase === false) flags.delete('i');
    return new RegExp(want.regexSource, [...flags].join('')).test(text);
  }
  const got = normalize(text);
  const expected = normalize(want.string ?? '');
  return want.matchSubstring ? got.includes(expected) : got === expected;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class WdLocator {
  /** Playwright's `expect` recognises its locators by this name and calls `_expect` to poll. */
  readonly _apiName = 'Locator';

  constructor(
    private readonly page: WdPage,
    private readonly steps: Step[],
  ) {}

  static create(page: WdPage, steps: Step[]): WdLocator {
    return strictLocator(new WdLocator(page, steps));
  }

  private with(step: Step): WdLocator {
    return WdLocator.create(this.page, [...this.steps, step]);
  }

  locator(selector: string): WdLocator {
    return this.with({ css: selector });
  }
  getByRole(role: string, options: RoleOptions = {}): WdLocator {
    const known = new Set(['name', 'exact', 'includeHidden']);
    for (const k of Object.keys(options)) if (!known.has(k)) throw new Error(`getByRole option "${k}" is not provided by the WebKit adapter (e2e/webkit/dom.ts): add it there`);
    return this.with({ role, ...options });
  }
  getByLabel(label: string | RegExp, options: LocatorOptions = {}): WdLocator {
    return this.with({ label, exact: options.exact ?? false });
  }
  getByText(text: string | RegExp, options: LocatorOptions = {}): WdLocator {
    return this.with({ text, exact: options.exact ?? false });
  }
  filter(options: { hasText?: string | RegExp; hasNotText?: string | RegExp }): WdLocator {
    for (const k of Object.keys(options)) if (k !== 'hasText' && k !== 'hasNotText') throw new Error(`locator.filter({ ${k} }) is not provided by the WebKit adapter (e2e/webkit/locator.ts): add it there`);
    let out: WdLocator = this;
    if (options.hasText !== undefined) out = out.with({ hasText: options.hasText });
    if (options.hasNotText !== undefined) out = out.with({ hasNotText: options.hasNotText });
    return out;
  }
  first(): WdLocator {
    return this.with({ nth: 0 });
  }
  last(): WdLocator {
    return this.with({ nth: -1 });
  }
  nth(i: number): WdLocator {
    return this.with({ nth: i });
  }

  toString(): string {
    return this.steps
      .map((s) => {
        if ('css' in s) return `locator('${s.css}')`;
        if ('role' in s) return `getByRole('${s.role}'${s.name === undefined ? '' : `, { name: ${String(s.name)}${s.exact ? ', exact: true' : ''} }`})`;
        if ('label' in s) return `getByLabel(${String(s.label)})`;
        if ('text' in s) return `getByText(${String(s.text)})`;
        if ('hasText' in s) return `filter({ hasText: ${String(s.hasText)} })`;
        if ('hasNotText' in s) return `filter({ hasNotText: ${String(s.hasNotText)} })`;
        return s.nth === 0 ? 'first()' : s.nth === -1 ? 'last()' : `nth(${String(s.nth)})`;
      })
      .join('.');
  }

  private strictError(count: number): Error {
    return new Error(`strict mode violation: ${this.toString()} resolved to ${String(count)} elements`);
  }

  /**
   * Runs `fn(element, arg)` in the page on the one element the locator matches, waiting until
   * there is one (more than one is an error, as in Playwright).
   */
  private async onElement<R, A>(fn: (el: Element, arg: A, dom: Dom) => R | Promise<R>, arg: A, timeout = ACTION_TIMEOUT): Promise<R> {
    const source = `async ({ steps, arg }) => {
      const dom = window.__wd.dom;
      const found = dom.query(steps);
      if (found.length !== 1) return { $count: found.length };
      return { $value: await (${fn.toString()})(found[0], arg, dom) };
    }`;
    const until = Date.now() + timeout;
    for (;;) {
      const r = await this.page.evaluateSource<{ $count: number } | { $value: R }>(source, { steps: this.steps, arg });
      if ('$value' in r) return r.$value;
      if (r.$count > 1) throw this.strictError(r.$count);
      if (Date.now() > until) throw new Error(`${this.toString()}: no element matched within ${String(timeout)} ms`);
      await sleep(100);
    }
  }

  /**
   * The WebDriver reference of the one matching element, once it is visible and enabled (what
   * Playwright waits for before it clicks or types).
   */
  private async actionable(options: Timeout = {}, needEnabled = true): Promise<string> {
    const timeout = options.timeout || ACTION_TIMEOUT;
    const until = Date.now() + timeout;
    let last = 'no element matched';
    for (;;) {
      const r = await this.page.exec<{ count: number; el?: Record<string, string>; visible?: boolean; enabled?: boolean }>(
        `const dom = window.__wd.dom;
         const found = dom.query(window.__wd.decode(arguments[0]));
         if (found.length !== 1) return { count: found.length };
         const el = found[0];
         return { count: 1, el, visible: dom.isVisible(el), enabled: !dom.isDisabled(el) };`,
        [encodeSteps(this.steps)],
      );
      if (r.count > 1) throw this.strictError(r.count);
      if (r.count === 1 && r.el) {
        if (!r.visible) last = 'element is not visible';
        else if (needEnabled && !r.enabled) last = 'element is not enabled';
        else return r.el[WEB_ELEMENT] ?? '';
      }
      if (Date.now() > until) throw new Error(`${this.toString()}: ${last} within ${String(timeout)} ms`);
      await sleep(100);
    }
  }

  /**
   * WebDriver's element click (it scrolls the element into view and clicks its centre with the
   * mouse), made as safe as Playwright's: it waits until the element's box holds still for two
   * frames, and a capture listener checks that the mouse events reach the element; events that
   * land on something else (the page moved in between) are stopped there and the click is tried again.
   */
  async click(options: Timeout = {}): Promise<void> {
    const timeout = options.timeout || ACTION_TIMEOUT;
    const until = Date.now() + timeout;
    let last = '';
    for (;;) {
      if (Date.now() > until) throw new Error(`${this.toString()}.click: ${last} within ${String(timeout)} ms`);
      const id = await this.actionable({ timeout: Math.max(1, until - Date.now()) });
      const stable = await this.onElement(async (el) => {
        const frame = () => new Promise((r) => { requestAnimationFrame(r); setTimeout(r, 50); });
        const a = el.getBoundingClientRect();
        await frame();
        await frame();
        const b = el.getBoundingClientRect();
        return a.x === b.x && a.y === b.y && a.width === b.width && a.height === b.height;
      }, null);
      if (!stable) {
        last = 'element is not stable';
        continue;
      }
      await this.page.exec(
        `const el = arguments[0];
         const w = window.__wd;
         if (w.hit) w.hit.disarm();
         const state = { blocked: null, reached: false };
         const events = ['pointerdown', 'mousedown', 'pointerup', 'mouseup', 'click'];
         const listener = (e) => {
           if (!e.isTrusted) return;
           const path = e.composedPath();
           if (!state.blocked && path.includes(el)) { state.reached = true; return; }
           const t = path[0];
           state.blocked = state.blocked || (t instanceof Element ? '<' + t.localName + (t.id ? '#' + t.id : '') + (t.className && typeof t.className === 'string' ? '.' + t.className.trim().split(/\s+/).join('.') : '') + '>' : String(t));
           e.preventDefault();
           e.stopImmediatePropagation();
         };
         for (const type of events) addEventListener(type, listener, true);
         w.hit = { state, disarm: () => { for (const type of events) removeEventListener(type, listener, true); w.hit = undefined; } };`,
        [{ [WEB_ELEMENT]: id }],
      );
      try {
        await this.page.cmd('POST', `/element/${id}/click`, {});
      } catch (error) {
        await this.disarm();
        // Covered by another element, or replaced between the lookup and the click: look again (as Playwright retries).
        const retry = error instanceof WebDriverError && ['element click intercepted', 'element not interactable', 'stale element reference'].includes(error.error);
        if (!retry) throw error;
        last = error.message;
        await sleep(100);
        continue;
      }
      const hit = await this.disarm();
      if (!hit?.blocked) return;
      last = `${hit.blocked} intercepts pointer events`;
      if (process.env.WD_DEBUG) console.log(`${this.toString()}.click: ${last}; retrying`);
    }
  }

  /** Removes the click's hit-target listener and says what it saw. */
  private disarm(): Promise<{ blocked: string | null; reached: boolean } | null> {
    return this.page.exec('const h = window.__wd.hit; if (!h) return null; h.disarm(); return h.state;');
  }

  async focus(options: Timeout = {}): Promise<void> {
    await this.onElement((el) => (el as HTMLElement).focus(), null, options.timeout || ACTION_TIMEOUT);
  }

  async press(key: string, options: Timeout = {}): Promise<void> {
    await this.focus(options);
    await this.page.keyboard.press(key);
  }

  /**
   * As Playwright's fill: inputs whose value is not typed (range, date, colour…) get the value
   * set with `input` and `change` events; text fields get their text selected and replaced by
   * typing (Delete for an empty value), with real key events.
   */
  async fill(value: string, options: Timeout = {}): Promise<void> {
    await this.actionable(options);
    const how = await this.onElement(
      (el, v) => {
        const setTypes = ['color', 'date', 'time', 'datetime-local', 'month', 'range', 'week'];
        if (el instanceof HTMLInputElement && setTypes.includes(el.type)) {
          el.focus();
          el.value = v;
          if (el.value !== v) throw new Error(`Malformed value "${v}" for <input type=${el.type}>`);
          el.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
          el.dispatchEvent(new Event('change', { bubbles: true }));
          return 'set';
        }
        if (el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement) {
          el.focus();
          el.select();
          return 'type';
        }
        if (el instanceof HTMLElement && el.isContentEditable) {
          el.focus();
          const range = document.createRange();
          range.selectNodeContents(el);
          getSelection()?.removeAllRanges();
          getSelection()?.addRange(range);
          return 'type';
        }
        throw new Error('Element is not an <input>, <textarea> or [contenteditable] element');
      },
      value,
    );
    if (how === 'set') return;
    if (value === '') await this.page.keyboard.press('Delete');
    else await this.page.keyboard.type(value);
    const now = await this.onElement((el) => ('value' in el ? String((el as HTMLInputElement).value) : (el.textContent ?? '')), null);
    if (now !== value) throw new Error(`${this.toString()}.fill(${JSON.stringify(value)}): the field holds ${JSON.stringify(now)} after typing`);
  }

  /** Selects options by value or label and fires `input` and `change`, as Playwright does. */
  async selectOption(values: string | string[], options: Timeout = {}): Promise<string[]> {
    await this.actionable(options);
    const wanted = Array.isArray(values) ? values : [values];
    const until = Date.now() + (options.timeout || ACTION_TIMEOUT);
    for (;;) {
      const chosen = await this.onElement(
        (el, want) => {
          if (!(el instanceof HTMLSelectElement)) throw new Error('Element is not a <select> element');
          const all = [...el.options];
          const picked = want.map((v) => all.find((o) => o.value === v || o.label === v));
          if (picked.some((o) => o === undefined)) return null;
          if (!el.multiple && picked.length > 1) throw new Error('Target select element is not multiple');
          for (const o of all) o.selected = picked.includes(o);
          el.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
          el.dispatchEvent(new Event('change', { bubbles: true }));
          return picked.map((o) => (o as HTMLOptionElement).value);
        },
        wanted,
      );
      if (chosen) return chosen;
      if (Date.now() > until) throw new Error(`${this.toString()}.selectOption: no option with value or label ${wanted.map((v) => JSON.stringify(v)).join(', ')}`);
      await sleep(100);
    }
  }

  async isChecked(): Promise<boolean> {
    return (await this.onElement((el, _, dom) => dom.isChecked(el), null)) === true;
  }

  /** Clicks the checkbox, radio or switch if it is not in the state asked for, then checks that it is. */
  async setChecked(checked: boolean, options: Timeout = {}): Promise<void> {
    if ((await this.isChecked()) === checked) return;
    await this.click(options);
    if ((await this.isChecked()) !== checked) throw new Error(`${this.toString()}: clicking the checkbox did not change its state`);
  }
  check(options: Timeout = {}): Promise<void> {
    return this.setChecked(true, options);
  }
  uncheck(options: Timeout = {}): Promise<void> {
    return this.setChecked(false, options);
  }

  /** Runs `fn(element, arg)` in the page (DOM values come back as `{}`, see page.ts). */
  evaluate<R, A>(fn: (el: never, arg: A) => R | Promise<R>, arg?: A): Promise<R> {
    return this.onElement(fn as unknown as (el: Element, arg: A | undefined) => R, arg);
  }

  evaluateAll<R, A>(fn: (els: never[], arg: A) => R | Promise<R>, arg?: A): Promise<R> {
    return this.page.evaluateSource<R>(`({ steps, arg }) => (${fn.toString()})(window.__wd.dom.query(steps), arg)`, { steps: this.steps, arg });
  }

  async count(): Promise<number> {
    return this.page.evaluateSource<number>('({ steps }) => window.__wd.dom.query(steps).length', { steps: this.steps });
  }

  textContent(options: Timeout = {}): Promise<string | null> {
    return this.onElement((el) => el.textContent, null, options.timeout);
  }
  innerText(options: Timeout = {}): Promise<string> {
    return this.onElement((el) => (el as HTMLElement).innerText, null, options.timeout);
  }
  inputValue(options: Timeout = {}): Promise<string> {
    return this.onElement((el) => (el as HTMLInputElement).value, null, options.timeout);
  }
  getAttribute(name: string, options: Timeout = {}): Promise<string | null> {
    return this.onElement((el, n) => el.getAttribute(n), name, options.timeout);
  }

  /** Visible now (no waiting); false when nothing matches. */
  async isVisible(): Promise<boolean> {
    const r = await this.page.evaluateSource<Probe>('({ steps }) => { const d = window.__wd.dom; const f = d.query(steps); return { count: f.length, value: f.length === 1 && d.isVisible(f[0]) }; }', { steps: this.steps });
    if (r.count > 1) throw this.strictError(r.count);
    return r.value === true;
  }

  /** The element as WebKit draws it (WebDriver's element screenshot: scrolled into view, clipped to the viewport). */
  async screenshot(options: { path?: string } & Timeout = {}): Promise<Buffer> {
    const id = await this.actionable(options, false);
    const png = Buffer.from(await this.page.cmd<string>('GET', `/element/${id}/screenshot`), 'base64');
    if (options.path) {
      mkdirSync(dirname(options.path), { recursive: true });
      writeFileSync(options.path, png);
    }
    return png;
  }

  /** One read of what `expression` looks at, in the page. */
  private probe(expression: string, options: ExpectOptions): Promise<Probe> {
    return this.page.evaluateSource<Probe>(
      `({ steps, expression, name, useInnerText }) => {
        const dom = window.__wd.dom;
        const found = dom.query(steps);
        if (expression === 'to.have.count') return { count: found.length, value: found.length };
        if (expression === 'to.have.text.array' || expression === 'to.contain.text.array')
          return { count: found.length, value: found.map((el) => (useInnerText ? el.innerText : dom.elementText(el))) };
        if (found.length !== 1) return { count: found.length, strict: found.length > 1 };
        const el = found[0];
        const read = {
          'to.be.attached': () => true,
          'to.be.detached': () => true,
          'to.be.visible': () => dom.isVisible(el),
          'to.be.hidden': () => dom.isVisible(el),
          'to.be.enabled': () => !dom.isDisabled(el),
          'to.be.disabled': () => dom.isDisabled(el),
          'to.be.focused': () => dom.activeElement() === el,
          'to.be.checked': () => dom.isChecked(el),
          'to.have.text': () => (useInnerText ? el.innerText : dom.elementText(el)),
          'to.have.value': () => { if (!('value' in el)) throw new Error('Not an input element'); return String(el.value); },
          'to.have.attribute': () => el.getAttribute(name),
          'to.have.attribute.value': () => el.getAttribute(name),
          'to.have.class': () => el.getAttribute('class') ?? '',
          'to.have.id': () => el.id,
        }[expression];
        if (!read) throw new Error('__wd:unsupported');
        return { count: 1, value: read() };
      }`,
      { steps: this.steps, expression, name: options.expressionArg ?? null, useInnerText: options.useInnerText ?? false },
    );
  }

  /** Whether one probe passes: `matches` true means the positive matcher holds. */
  private judge(expression: string, p: Probe, options: ExpectOptions): { matches: boolean; value: unknown } {
    const want = options.expectedText?.[0] ?? {};
    switch (expression) {
      case 'to.have.count':
        return { matches: p.count === options.expectedNumber, value: p.count };
      case 'to.be.attached':
        return { matches: p.count === 1, value: p.count === 1 ? 'attached' : 'detached' };
      case 'to.be.detached':
        return { matches: p.count === 0, value: p.count === 0 ? 'detached' : 'attached' };
      case 'to.be.visible':
        return { matches: p.count === 1 && p.value === true, value: p.value === true ? 'visible' : 'hidden' };
      case 'to.be.hidden':
        return { matches: p.count === 0 || p.value === false, value: p.count === 1 && p.value === true ? 'visible' : 'hidden' };
      case 'to.be.enabled':
      case 'to.be.disabled':
      case 'to.be.focused':
        return { matches: p.count === 1 && p.value === true, value: p.count === 1 ? String(p.value) : '<element(s) not found>' };
      case 'to.be.checked': {
        const { checked, indeterminate } = options.expectedValue ?? {};
        const matches = p.count === 1 && (indeterminate ? p.value === 'mixed' : p.value === (checked ?? true));
        return { matches, value: p.value === 'mixed' ? 'indeterminate' : p.value ? 'checked' : 'unchecked' };
      }
      case 'to.have.attribute':
        return { matches: p.count === 1 && p.value !== null, value: p.count === 1 ? p.value : '<element(s) not found>' };
      case 'to.have.text':
      case 'to.have.value':
      case 'to.have.attribute.value':
      case 'to.have.class':
      case 'to.have.id':
        return { matches: p.count === 1 && typeof p.value === 'string' && textMatches(want, p.value), value: p.value };
      case 'to.have.text.array':
      case 'to.contain.text.array': {
        const texts = p.value as string[];
        const wants = options.expectedText ?? [];
        const matches =
          expression === 'to.have.text.array'
            ? texts.length === wants.length && wants.every((w, i) => textMatches(w, texts[i] ?? ''))
            : (() => {
                let i = 0;
                for (const t of texts) if (i < wants.length && textMatches(wants[i]!, t)) i++;
                return i === wants.length;
              })();
        return { matches, value: texts };
      }
      default:
        throw new Error(`expect(locator) '${expression}' is not provided by the WebKit adapter (e2e/webkit/locator.ts): add it there`);
    }
  }

  async _expect(expression: string, options: ExpectOptions): Promise<ExpectResult> {
    const until = Date.now() + options.timeout;
    for (;;) {
      const p = await this.probe(expression, options);
      if (p.strict) {
        const message = this.strictError(p.count).message;
        return { matches: options.isNot, log: [], errorMessage: message, received: { value: message } };
      }
      const { matches, value } = this.judge(expression, p, options);
      if (matches !== options.isNot || Date.now() > until) return { matches, received: { value }, log: [], timedOut: matches === options.isNot };
      await sleep(100);
    }
  }
}

/** RegExps do not survive WebDriver's JSON; the page's codec (page.ts) restores them. */
function encodeSteps(steps: Step[]): unknown {
  return steps.map((s) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v instanceof RegExp ? { $r: [v.source, v.flags] } : v])));
}

/** A locator that throws, naming the member, for anything of Playwright's Locator it lacks. */
function strictLocator(locator: WdLocator): WdLocator {
  return new Proxy(locator, {
    get(t, prop, receiver) {
      if (typeof prop === 'symbol' || prop in t || ['then', 'toJSON', 'asymmetricMatch', '$$typeof', 'nodeType'].includes(prop)) return Reflect.get(t, prop, receiver);
      throw new Error(`locator.${prop} is not provided by the WebKit adapter (e2e/webkit/locator.ts): exclude the test in WebKit with onlyIn(…) from e2e/test.ts, saying why, or add it there`);
    },
  });
}
