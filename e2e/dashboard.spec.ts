/**
 * <jobrail-dashboard> on a bare page (e2e/pages/dashboard.html): text-only rendering of store
 * data, paging, filters, dead-letter actions, keyboard use, live updates across tabs with a
 * throttled re-read, and both colour schemes.
 */
import { expect, onlyIn, test, type Page } from './test.js';
import { mkdirSync } from 'node:fs';
import { trackErrors } from './harness.js';
import { XSS, type E2EApi } from './pages/dashboard-fixtures';

type TestWindow = Window & { e2e: E2EApi; __xss?: unknown };
type State = 'pending' | 'processing' | 'retrying' | 'completed' | 'failed';

mkdirSync('screenshots', { recursive: true });

async function open(page: Page, query = ''): Promise<void> {
  await page.goto(`/e2e/pages/dashboard.html${query}`);
  await expect(page.locator('body')).toHaveAttribute('data-ready', 'true');
  // Known once the first read is in: paused or not, runners or none.
  await expect(page.locator('jobrail-dashboard').locator('.run-state')).toHaveAttribute('data-run', /^(running|paused|none|offline)$/);
}

const dash = (page: Page) => page.locator('jobrail-dashboard');
const count = (page: Page, state: State) => dash(page).locator(`[data-count="${state}"] .value`);
const rows = (page: Page) => dash(page).locator('tbody tr');
const stateSelect = (page: Page) => dash(page).getByRole('combobox', { name: 'State', exact: true });
const nameInput = (page: Page) => dash(page).getByLabel('Job name', { exact: true });
const range = (page: Page) => dash(page).getByRole('navigation', { name: 'Job list pages' }).locator('.range');

test('renders job names, data and errors as text: nothing from the store executes', async ({ page }) => {
  const errors = trackErrors(page);
  await open(page);
  await page.evaluate(async () => {
    const { e2e } = window as unknown as TestWindow;
    await e2e.queue.add(e2e.XSS.name, { html: e2e.XSS.data }, { retries: 0 });
    await e2e.startRunner();
  });
  await expect(count(page, 'failed')).toHaveText('1');

  await stateSelect(page).selectOption('failed');
  await expect(rows(page)).toHaveCount(1);
  const row = rows(page).first();
  // The markup shows up literally, as characters on screen.
  await expect(row.locator('.name')).toContainText(XSS.name);
  await expect(row.locator('td.error')).toHaveText(`PermanentError: ${XSS.error}`);
  await expect(row.locator('td.data')).toContainText(`<img src=x onerror=`);
  await expect(row.locator('td.data')).toContainText(`window.__xss='data'`);
  await expect(dash(page).getByRole('button', { name: `Retry ${XSS.name}`, exact: false })).toBeVisible();

  // Nothing was parsed as HTML: no element was created and no handler ran.
  expect(await dash(page).locator('img, script').count()).toBe(0);
  await stateSelect(page).selectOption('all');
  await expect(rows(page)).toHaveCount(1);
  await page.evaluate(() => (window as unknown as TestWindow).e2e.dashboard.refresh());
  expect(await page.evaluate(() => (window as unknown as TestWindow).__xss)).toBeUndefined();
  expect(await page.evaluate(() => document.querySelectorAll('img').length)).toBe(0);
  expect(errors).toEqual([]);
});

test('pages through the store newest first, never reading more than a page', async ({ page }) => {
  const errors = trackErrors(page);
  await open(page, '?page-size=20&mode=property');
  await page.evaluate(() =>
    (window as unknown as TestWindow).e2e.queue.addBulk(Array.from({ length: 45 }, (_, i) => ({ name: 'ok', data: { n: i } }))),
  );
  const next = dash(page).getByRole('button', { name: 'Next page' });
  const prev = dash(page).getByRole('button', { name: 'Previous page' });

  await expect(range(page)).toHaveText('1–20 of 45');
  await expect(rows(page)).toHaveCount(20);
  await expect(rows(page).first().locator('td.data')).toHaveText('{n: 44}');
  await expect(prev).toBeDisabled();

  await next.click();
  await expect(range(page)).toHaveText('21–40 of 45');
  await expect(rows(page).first().locator('td.data')).toHaveText('{n: 24}');

  await next.click();
  await expect(range(page)).toHaveText('41–45 of 45');
  await expect(rows(page)).toHaveCount(5);
  await expect(rows(page).last().locator('td.data')).toHaveText('{n: 0}');
  await expect(next).toBeDisabled();

  await prev.click();
  await expect(range(page)).toHaveText('21–40 of 45');

  const calls = await page.evaluate(() => (window as unknown as TestWindow).e2e.calls);
  expect(calls.list).toBeGreaterThan(0);
  for (const options of calls.options) expect(options.limit).toBeLessThanOrEqual(21);
  expect(errors).toEqual([]);
});

test('filters by state and name, and works the dead-letter store: Retry, Retry all, Remove', async ({ page }) => {
  const errors = trackErrors(page);
  await open(page);
  await page.evaluate(() =>
    (window as unknown as TestWindow).e2e.queue.addBulk([
      { name: 'ok', data: { n: 1 } },
      { name: 'fail', data: { message: 'upstream said no (1)' }, options: { retries: 0 } },
      { name: 'ok', data: { n: 2 } },
      { name: 'fail', data: { message: 'upstream said no (2)' }, options: { retries: 0 } },
      { name: 'ok', data: { n: 3 } },
    ]),
  );
  await expect(count(page, 'pending')).toHaveText('5');

  // Name filter (exact job name).
  await nameInput(page).fill('fail');
  await expect(rows(page)).toHaveCount(2);
  await expect(range(page)).toHaveText('1–2');
  await nameInput(page).fill('');
  await expect(rows(page)).toHaveCount(5);

  // State filter: nothing completed yet.
  await stateSelect(page).selectOption('completed');
  await expect(dash(page).getByText('No completed jobs.')).toBeVisible();

  await page.evaluate(() => (window as unknown as TestWindow).e2e.startRunner());
  await expect(count(page, 'completed')).toHaveText('3');
  await expect(count(page, 'failed')).toHaveText('2');
  await expect(rows(page)).toHaveCount(3);

  // The dead-letter view.
  await stateSelect(page).selectOption('failed');
  await expect(rows(page)).toHaveCount(2);
  await expect(dash(page).getByText('2 jobs in the dead-letter store.')).toBeVisible();
  await expect(rows(page).first().locator('td.error')).toHaveText('Error: upstream said no (2)');
  await expect(rows(page).first().locator('td.num').nth(1)).toHaveText('1 / 1');

  // Retry one: it runs again and completes.
  await page.evaluate(() => (window as unknown as TestWindow).e2e.setFailing(false));
  await rows(page).first().getByRole('button', { name: /^Retry fail/ }).click();
  await expect(count(page, 'completed')).toHaveText('4');
  await expect(rows(page)).toHaveCount(1);
  await expect(count(page, 'failed')).toHaveText('1');

  // Retry all.
  await dash(page).getByRole('button', { name: 'Retry all' }).click();
  await expect(count(page, 'completed')).toHaveText('5');
  await expect(dash(page).getByText('No failed jobs: the dead-letter store is empty.')).toBeVisible();
  await expect(dash(page).getByRole('button', { name: 'Retry all' })).toBeDisabled();

  // Remove one, then the rest of the completed jobs.
  await stateSelect(page).selectOption('completed');
  await expect(rows(page)).toHaveCount(5);
  await rows(page).first().getByRole('button', { name: /^Remove / }).click();
  await expect(count(page, 'completed')).toHaveText('4');
  await expect(rows(page)).toHaveCount(4);
  await dash(page).getByRole('button', { name: 'Remove all completed' }).click();
  await expect(count(page, 'completed')).toHaveText('0');
  await expect(dash(page).getByText('No completed jobs.')).toBeVisible();
  expect(errors).toEqual([]);
});

test('is usable by keyboard alone, with labelled controls', async ({ page }) => {
  const errors = trackErrors(page);
  await open(page);
  await page.evaluate(async () => {
    const { e2e } = window as unknown as TestWindow;
    await e2e.queue.addBulk([
      { name: 'fail', data: { message: 'first' }, options: { retries: 0 } },
      { name: 'fail', data: { message: 'second' }, options: { retries: 0 } },
    ]);
    await e2e.startRunner();
  });
  await expect(count(page, 'failed')).toHaveText('2');

  // Labelled controls a screen reader can name.
  await expect(dash(page).getByRole('combobox', { name: 'State', exact: true })).toBeVisible();
  await expect(dash(page).getByRole('combobox', { name: 'Job name', exact: true })).toBeVisible();
  await expect(dash(page).getByRole('region', { name: 'Jobs' })).toBeVisible();
  await expect(dash(page).locator('[role="status"][aria-live="polite"]').first()).toBeAttached();
  await expect(dash(page).getByRole('list', { name: 'Jobs per state' })).toBeVisible();

  // Tab from the top of the page reaches Pause first; Enter and Space press it.
  const pause = dash(page).getByRole('button', { name: 'Pause queue' });
  await page.keyboard.press('Tab');
  await expect(pause).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(dash(page).locator('.run-state')).toHaveText('Paused');
  const resume = dash(page).getByRole('button', { name: 'Resume queue' });
  await expect(resume).toBeFocused();
  await page.keyboard.press('Space');
  await expect(dash(page).locator('.run-state')).toHaveText('Running');

  // The count tiles are filter buttons: Tab to "Failed" (the fifth) and press Enter.
  for (let i = 0; i < 5; i++) await page.keyboard.press('Tab');
  const failedTile = dash(page).locator('[data-count="failed"] button');
  await expect(failedTile).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(failedTile).toHaveAttribute('aria-pressed', 'true');
  await expect(stateSelect(page)).toHaveValue('failed');
  await expect(rows(page)).toHaveCount(2);

  // Retry from the keyboard: the row leaves the view and focus moves to the next Retry.
  await page.evaluate(() => (window as unknown as TestWindow).e2e.setFailing(false));
  await rows(page).first().getByRole('button', { name: /^Retry fail/ }).focus();
  await page.keyboard.press('Enter');
  await expect(rows(page)).toHaveCount(1);
  await expect(rows(page).first().getByRole('button', { name: /^Retry fail/ })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(count(page, 'completed')).toHaveText('2');
  await expect(stateSelect(page)).toBeFocused();

  // Screen readers hear the counts through a polite live region (updated at most every 3 s).
  await expect(dash(page).locator('.visually-hidden[role="status"][aria-live="polite"]')).toHaveText(
    '0 pending, 0 processing, 0 retrying, 2 completed, 0 failed.',
  );
  expect(errors).toEqual([]);
});

test('stays live across tabs and re-reads the store at most about 4 times a second under load', async ({ page, context }) => {
  test.setTimeout(60_000);
  const errors = trackErrors(page);
  await open(page, '?mode=property');
  const other = await context.newPage();
  const otherErrors = trackErrors(other);
  await open(other);

  await page.evaluate(() => (window as unknown as TestWindow).e2e.startRunner(4));
  const started = Date.now();
  const before = await page.evaluate(() => (window as unknown as TestWindow).e2e.calls.list);
  // Added in the other tab: the runner and both dashboards learn of them through events.
  await other.evaluate(() =>
    (window as unknown as TestWindow).e2e.queue.addBulk(Array.from({ length: 1000 }, (_, i) => ({ name: 'ok', data: { i } }))),
  );
  await expect(count(page, 'completed')).toHaveText('1000', { timeout: 45_000 });
  const elapsed = Date.now() - started;
  await expect(count(other, 'completed')).toHaveText('1000');
  await expect(count(other, 'pending')).toHaveText('0');

  // Throughput counts `completed` events from every tab over the last minute.
  await expect(dash(page).locator('.throughput strong')).toHaveText('1000');
  await expect(dash(other).locator('.throughput strong')).toHaveText('1000');

  const lists = (await page.evaluate(() => (window as unknown as TestWindow).e2e.calls.list)) - before;
  // ~4,000 job events went by; the dashboard re-listed a page at most every 250 ms.
  expect(lists).toBeLessThanOrEqual(Math.ceil(elapsed / 250) + 4);
  expect(lists).toBeLessThan(250);
  expect(errors).toEqual([]);
  expect(otherErrors).toEqual([]);
});

test('pause and resume reach every tab', async ({ page, context }) => {
  const errors = trackErrors(page);
  await open(page);
  const other = await context.newPage();
  await open(other);
  await page.evaluate(() => (window as unknown as TestWindow).e2e.startRunner());

  await dash(page).getByRole('button', { name: 'Pause queue' }).click();
  await expect(dash(page).locator('.run-state')).toHaveText('Paused');
  await expect(dash(other).locator('.run-state')).toHaveText('Paused');
  await expect(dash(other).getByRole('button', { name: 'Resume queue' })).toBeVisible();

  await other.evaluate(() => (window as unknown as TestWindow).e2e.queue.add('slow', { ms: 100 }));
  await expect(count(page, 'pending')).toHaveText('1');
  await expect(rows(page).first().locator('td.when')).toHaveText('ready');
  expect(await page.evaluate(() => (window as unknown as TestWindow).e2e.queue.counts())).toMatchObject({ pending: 1, processing: 0 });

  await dash(other).getByRole('button', { name: 'Resume queue' }).click();
  await expect(dash(page).locator('.run-state')).toHaveText('Running');
  await expect(count(page, 'completed')).toHaveText('1');
  await expect(count(other, 'completed')).toHaveText('1');
  await expect(rows(other).first().locator('td.progress')).toContainText('100%');
  expect(errors).toEqual([]);
});

test('says only what it knows: no runner open, running, offline, paused, and no runner again', async ({ page, context }) => {
  onlyIn(['chromium', 'firefox'], 'goes offline with context.setOffline, which WebDriver classic lacks');
  const errors = trackErrors(page);
  await open(page);
  const runState = dash(page).locator('.run-state');
  // A page that runs nothing must not claim the queue is running.
  await expect(runState).toHaveText('No runner open');
  await page.evaluate(() => (window as unknown as TestWindow).e2e.startRunner());
  await expect(runState).toHaveText('Running');
  await expect(runState).toHaveAttribute('title', '1 runner in open tabs.');

  // Another tab without a runner of its own sees the first tab's runner (its Web Lock).
  const other = await context.newPage();
  await open(other);
  await expect(dash(other).locator('.run-state')).toHaveText('Running');

  await context.setOffline(true);
  await expect(runState).toHaveText('Offline: network jobs wait');
  await context.setOffline(false);
  await expect(runState).toHaveText('Running');

  await dash(page).getByRole('button', { name: 'Pause queue' }).click();
  await expect(runState).toHaveText('Paused');
  await dash(page).getByRole('button', { name: 'Resume queue' }).click();
  await expect(runState).toHaveText('Running');

  await page.evaluate(() => (window as unknown as TestWindow).e2e.stopRunner());
  await expect(runState).toHaveText('No runner open');
  await expect(dash(other).locator('.run-state')).toHaveText('No runner open');
  expect(errors).toEqual([]);
});

test('a retrying job shows no progress from its failed attempt; a completed one no red error from it', async ({ page }) => {
  const errors = trackErrors(page);
  await open(page);
  await page.evaluate(async () => {
    const { e2e } = window as unknown as TestWindow;
    await e2e.startRunner();
    await e2e.queue.add('flaky', null, { backoff: { type: 'fixed', delay: 3000 } });
  });
  const row = rows(page).first();
  await expect(row).toHaveAttribute('data-state', 'retrying');
  // Hold the retry until the row has been looked at.
  await page.evaluate(() => (window as unknown as TestWindow).e2e.stopRunner());
  await page.evaluate(() => (window as unknown as TestWindow).e2e.dashboard.refresh());
  await expect(row).toHaveAttribute('data-state', 'retrying');
  expect(await page.evaluate(async () => (await (window as unknown as TestWindow).e2e.queue.list())[0]?.progress)).toBe(0.67);
  await expect(row.locator('td.progress progress')).toBeHidden();
  await expect(row.locator('td.progress')).toHaveText('—');
  await expect(row.locator('td.error')).toHaveText('Error: first attempt fails');
  await expect(row.locator('td.error')).not.toHaveAttribute('data-earlier', '');
  expect(await row.locator('td.error').evaluate((td) => getComputedStyle(td).color)).toBe('rgb(209, 36, 47)');

  await page.evaluate(() => (window as unknown as TestWindow).e2e.startRunner());
  await expect(row).toHaveAttribute('data-state', 'completed');
  expect(await page.evaluate(async () => (await (window as unknown as TestWindow).e2e.queue.list())[0]?.error?.message)).toBe('first attempt fails');
  // The earlier failure is still said, as an earlier attempt's and not in the colour of failure.
  const error = row.locator('td.error');
  await expect(error).toHaveText('Earlier attempt: Error: first attempt fails');
  await expect(error).toHaveAttribute('data-earlier', '');
  expect(await error.evaluate((td) => getComputedStyle(td).color)).toBe('rgb(89, 99, 110)');
  await expect(row.locator('td.progress')).toContainText('100%');
  expect(errors).toEqual([]);
});

test('the status line says what the last action did, and lets it go', async ({ page }) => {
  const errors = trackErrors(page);
  await open(page);
  const message = dash(page).locator('.message');
  await page.evaluate(async () => {
    const { e2e } = window as unknown as TestWindow;
    await e2e.queue.addBulk([
      { name: 'permanent', data: { message: 'no (1)' } },
      { name: 'permanent', data: { message: 'no (2)' } },
    ]);
    await e2e.startRunner();
  });
  await expect(count(page, 'failed')).toHaveText('2');
  await stateSelect(page).selectOption('failed');
  await expect(rows(page)).toHaveCount(2);

  await rows(page).first().getByRole('button', { name: /^Remove / }).click();
  await expect(message).toHaveText(/^Job permanent \S+ removed\.$/);
  // A new view: what the earlier action said no longer applies.
  await stateSelect(page).selectOption('all');
  await expect(message).toHaveText('');

  await stateSelect(page).selectOption('failed');
  await dash(page).getByRole('button', { name: 'Remove all failed' }).click();
  await expect(message).toHaveText('1 failed job removed.');
  // And a confirmation goes away by itself (after 8 s).
  await expect(message).toHaveText('', { timeout: 15_000 });
  expect(errors).toEqual([]);
});

test('says whether the browser keeps the queue\'s storage, and how much of the quota the origin uses', async ({ page }) => {
  const errors = trackErrors(page);
  await open(page);
  const status = await page.evaluate(() => (window as unknown as TestWindow).e2e.queue.storageStatus());
  const line = dash(page).locator('.storage');
  await expect(line).toHaveAttribute('data-persisted', String(status.persisted));
  const kept = { true: 'Storage persisted: the browser keeps it', false: 'Storage best-effort: the browser may evict it', unknown: 'Storage persistence unknown' }[String(status.persisted)] as string;
  if (status.usage !== undefined && status.quota !== undefined) await expect(line).toHaveText(new RegExp(`^${kept} · [\\d.]+ (B|kB|MB|GB) of [\\d.]+ (B|kB|MB|GB) used \\(whole origin\\)$`));
  else await expect(line).toHaveText(new RegExp(`^${kept}`));
  expect(errors).toEqual([]);
});

test('shows a job\'s group, what it waits for, and when it expires', async ({ page }) => {
  const errors = trackErrors(page);
  await open(page);
  const ids = await page.evaluate(async () => {
    const { e2e } = window as unknown as TestWindow;
    const jobs = await e2e.queue.addBulk([
      { name: 'ok', data: { edit: 1 }, options: { group: 'note:7' } },
      { name: 'ok', data: { edit: 2 }, options: { group: 'note:7' } },
      { name: 'ok', data: { post: 'with the photo' }, options: { dependsOn: [0] } },
      { name: 'ok', data: { send: 'soon' }, options: { expiresIn: 3_600_000 } },
    ]);
    return jobs.map((j) => j.id);
  });
  const row = (id: string) => dash(page).locator(`tbody tr[data-id="${id}"]`);
  const [first, second, dependent, expiring] = ids as [string, string, string, string];
  await expect(rows(page)).toHaveCount(4);
  await expect(row(first).locator('.group')).toHaveText('group note:7');
  await expect(row(first).locator('td.when')).toHaveText('ready');
  // The second edit of the note waits for the first; the post waits for its dependency.
  await expect(row(second).locator('.group')).toHaveText('group note:7');
  await expect(row(second).locator('td.when > span').first()).toHaveText('waiting');
  await expect(row(second).locator('.waits')).toHaveText(`for ${first}`);
  await expect(row(dependent).locator('.group')).toBeHidden();
  await expect(row(dependent).locator('.waits')).toHaveText(`for ${first}`);
  await expect(row(expiring).locator('.expires')).toHaveText('expires in 60 min');

  // Once the first edit is done, nothing holds the others back, and expiry no longer matters to a done job.
  await page.evaluate(() => (window as unknown as TestWindow).e2e.startRunner());
  await expect(count(page, 'completed')).toHaveText('4');
  await expect(row(second).locator('.waits')).toBeHidden();
  await expect(row(expiring).locator('.expires')).toBeHidden();
  expect(errors).toEqual([]);
});

/** Jobs in every state, with long data and errors: what the screenshots show. */
async function seed(page: Page): Promise<void> {
  await page.evaluate(async () => {
    const { e2e } = window as unknown as TestWindow;
    await e2e.queue.addBulk([
      { name: 'ok', data: { n: 1, to: 'ada@example.com', subject: 'Landed safely, see you soon!' } },
      { name: 'permanent', data: { message: 'HTTP 410 Gone: the upload URL https://uploads.example.com/v1/photos/8f3a2c expired' } },
      { name: 'flaky', data: { photo: 'IMG_2041.jpg' }, options: { backoff: { type: 'fixed', delay: 600_000 } } },
      { name: 'hold', data: { upload: 'IMG_2040.jpg', bytes: 2_400_000 }, options: { priority: 5 } },
      { name: 'ok', data: { n: 2 } },
      { name: 'later', data: { note: 'runs in an hour' }, options: { delay: 3_600_000 } },
    ]);
    await e2e.startRunner(2);
  });
  await expect(count(page, 'completed')).toHaveText('2');
  await expect(count(page, 'failed')).toHaveText('1');
  await expect(count(page, 'retrying')).toHaveText('1');
  await expect(rows(page).locator('td.progress').filter({ hasText: '40%' })).toHaveCount(1);
}

const COLOURS = {
  light: { bg: 'rgb(255, 255, 255)', fg: 'rgb(31, 35, 40)' },
  dark: { bg: 'rgb(13, 17, 23)', fg: 'rgb(230, 237, 243)' },
} as const;

for (const scheme of ['light', 'dark'] as const) {
  for (const width of [390, 1280]) {
    test(`at ${String(width)} px in the ${scheme} colour scheme, shows every job without sideways scrolling`, async ({ page }) => {
      await page.setViewportSize({ width, height: 900 });
      const errors = trackErrors(page);
      await open(page);
      // A page's own theme switch forces a scheme with CSS `color-scheme` on the element: the
      // same in every engine, no media emulation needed.
      await dash(page).evaluate((el, s) => {
        el.style.colorScheme = s;
      }, scheme);
      await seed(page);
      expect(await dash(page).evaluate((el) => ({ bg: getComputedStyle(el).backgroundColor, fg: getComputedStyle(el).color }))).toEqual(COLOURS[scheme]);

      const shot = `dashboard-${String(width)}-${scheme}.png`;
      // caret: 'initial' keeps Playwright from injecting a <style>, which the page's CSP refuses in Firefox.
      await dash(page).screenshot({ path: `screenshots/${shot}`, caret: 'initial' });
      const layout = await dash(page).evaluate((el) => {
        const root = el.shadowRoot as ShadowRoot;
        const wrap = root.querySelector('.table-wrap') as HTMLElement;
        const box = el.getBoundingClientRect();
        const rowBoxes = [...root.querySelectorAll('tbody tr')].map((tr) => tr.getBoundingClientRect());
        return {
          page: document.documentElement.scrollWidth,
          wrap: { scroll: wrap.scrollWidth, client: wrap.clientWidth },
          right: box.right,
          rows: rowBoxes.map((r) => ({ right: r.right, height: r.height })),
        };
      });
      expect(layout.page).toBeLessThanOrEqual(width);
      expect(layout.wrap.scroll).toBeLessThanOrEqual(layout.wrap.client);
      expect(layout.rows).toHaveLength(6);
      for (const row of layout.rows) {
        expect(row.right).toBeLessThanOrEqual(layout.right);
        // At 390 px a card of a few lines (rows were ~250 px tall in a table scrolled sideways).
        if (width < 600) expect(row.height).toBeLessThanOrEqual(180);
      }
      if (width < 600) await expect(dash(page).locator('thead')).toBeHidden();

      // The README's pictures: refreshed on purpose, not by every test run, and not from WebKit,
      // whose element screenshots (WebDriver classic) are clipped to the viewport.
      if (process.env.UPDATE_DOCS_SCREENSHOTS && test.info().project.name !== 'webkit') await dash(page).screenshot({ path: `docs/${shot}`, caret: 'initial' });
      expect(errors).toEqual([]);
    });
  }
}

test('follows prefers-color-scheme when the page sets no colour scheme', async ({ page }) => {
  // Chromium only: emulateMedia has no effect under Firefox's WebDriver BiDi (see BROWSERS.md),
  // and the forced-scheme tests above cover both palettes in every engine.
  onlyIn(['chromium'], "emulateMedia has no effect over Firefox's BiDi, and WebDriver classic has none");
  await page.emulateMedia({ colorScheme: 'light' });
  await open(page);
  const colours = () => dash(page).evaluate((el) => ({ bg: getComputedStyle(el).backgroundColor, fg: getComputedStyle(el).color }));
  expect(await colours()).toEqual(COLOURS.light);
  await page.emulateMedia({ colorScheme: 'dark' });
  expect(await colours()).toEqual(COLOURS.dark);
});
