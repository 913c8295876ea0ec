/**
 * The demo (index.html + demo/) driven as a visitor would: send messages and photos, break
 * the simulated server, go offline, crash a worker, pause, reload mid-run, open a second tab.
 * Assertions wait on what the page shows (mostly the <jobrail-dashboard>), never on sleeps.
 */
import { expect, test, type Page } from './test.js';
import { mkdirSync } from 'node:fs';
import { trackErrors } from './harness.js';

type State = 'pending' | 'processing' | 'retrying' | 'completed' | 'failed';
type DemoWindow = Window & {
  jobrailDemo: { queue: { on(event: string, fn: () => void): () => void }; runner: { inFlight: number }; tabId: string };
  __seen?: Record<string, string[]>;
  __retrying?: number;
  __maxInFlight?: number;
};

mkdirSync('screenshots', { recursive: true });

const dash = (page: Page) => page.locator('jobrail-dashboard');
const count = (page: Page, state: State) => dash(page).locator(`[data-count="${state}"] .value`);
const rows = (page: Page) => dash(page).locator('tbody tr');
const cell = (row: ReturnType<typeof rows>, name: 'state' | 'priority' | 'attempts' | 'when' | 'progress' | 'error' | 'data') =>
  name === 'priority' ? row.locator('td.num').nth(0) : name === 'attempts' ? row.locator('td.num').nth(1) : row.locator(`td.${name}`);
const total = (page: Page) => dash(page).getByRole('navigation', { name: 'Job list pages' }).locator('.range');

async function openDemo(page: Page): Promise<void> {
  await page.goto('/');
  await expect(page.locator('#runner-status')).toHaveText(/2 workers/);
  await expect(dash(page).locator('.run-state')).toHaveText(/^(Running|Paused)$/);
}

async function server(page: Page, settings: { latency?: number; failureRate?: number; online?: boolean }): Promise<void> {
  if (settings.latency !== undefined) {
    await page.getByLabel('Latency').fill(String(settings.latency));
    await expect(page.locator('#latency-out')).toHaveText(`${String(settings.latency)} ms`);
  }
  if (settings.failureRate !== undefined) {
    await page.getByLabel('Failure rate').fill(String(settings.failureRate));
    await expect(page.locator('#failure-out')).toHaveText(`${String(settings.failureRate)} %`);
  }
  if (settings.online !== undefined) await page.getByRole('switch', { name: 'Network online' }).setChecked(settings.online);
}

/** Records every value a count tile shows, so a passing state can be asserted afterwards. */
async function watchCounts(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as DemoWindow;
    const root = document.querySelector('jobrail-dashboard')?.shadowRoot;
    w.__seen = {};
    for (const li of root?.querySelectorAll<HTMLElement>('[data-count]') ?? []) {
      const state = li.dataset.count as string;
      const value = li.querySelector('.value') as HTMLElement;
      const seen: string[] = (w.__seen[state] = [value.textContent ?? '']);
      new MutationObserver(() => seen.push(value.textContent ?? '')).observe(value, { childList: true, characterData: true, subtree: true });
    }
  });
}
const seen = (page: Page, state: State) => page.evaluate((s) => (window as unknown as DemoWindow).__seen?.[s] ?? [], state);

test('opens cleanly, says which tab runs jobs, and sends messages and photos', async ({ page }) => {
  const errors = trackErrors(page);
  await openDemo(page);
  await expect(page.locator('#tab-id')).toHaveText(/^[0-9a-f]{4}$/);
  await expect(page.locator('#tab-count')).toHaveText('1 (just this one)');
  await server(page, { latency: 0, failureRate: 0 });
  await page.getByRole('button', { name: 'Add a job the server rejects' }).click();
  await expect(count(page, 'failed')).toHaveText('1');

  // Slow enough to watch the uploads' progress bars move.
  await server(page, { latency: 1500 });

  await page.getByLabel('Priority').selectOption('5');
  await page.getByRole('button', { name: 'Add job' }).click();
  await expect(page.locator('#status')).toHaveText('Queued a message to ada@example.com (high priority).');

  await page.getByRole('radio', { name: 'Photo upload' }).check();
  await page.getByLabel('Priority').selectOption('10');
  await page.getByRole('button', { name: 'Add job' }).click();
  await expect(page.locator('#status')).toHaveText('Queued photo IMG_1001.png (urgent priority).');
  await expect(page.getByRole('img', { name: 'The last photo queued' })).toBeVisible();
  await page.getByLabel('Priority').selectOption('0');
  await page.getByRole('button', { name: 'Add job' }).click();
  await expect(page.locator('#status')).toHaveText('Queued photo IMG_1002.png (normal priority).');

  // Mid-run: uploads part-way through, the rejected job already dead-lettered.
  await expect(dash(page).locator('td.progress .pct').filter({ hasText: /^(33|67)%$/ }).first()).toBeVisible();
  await expect(page.locator('#in-flight')).not.toHaveText('0');
  await page.screenshot({ path: 'screenshots/demo-mid-run.png', fullPage: true });

  await expect(count(page, 'completed')).toHaveText('3');
  await expect(dash(page).locator('.throughput strong')).toHaveText('3');
  await expect(page.locator('#in-flight')).toHaveText('0');
  const photo = rows(page).filter({ hasText: 'IMG_1001.png' });
  await expect(cell(photo, 'state')).toHaveText('Completed');
  await expect(cell(photo, 'priority')).toHaveText('10');
  await expect(cell(photo, 'attempts')).toHaveText('1 / 4');
  await expect(cell(photo, 'progress')).toContainText('100%');
  await expect(cell(photo, 'data')).toContainText('photo: Blob (');
  await expect(cell(photo, 'data')).toContainText('image/png');
  await expect(cell(rows(page).filter({ hasText: 'send-message' }).filter({ hasText: 'ada@example.com' }), 'priority')).toHaveText('5');
  expect(errors).toEqual([]);
});

test('failures are retried with backoff, then land in the dead-letter store; Retry brings the job home', async ({ page }) => {
  const errors = trackErrors(page);
  await openDemo(page);
  await server(page, { latency: 0, failureRate: 100 });
  await watchCounts(page);

  await page.getByRole('button', { name: 'Add job' }).click();
  await expect(count(page, 'failed')).toHaveText('1');
  // On the way it sat in `retrying` between attempts.
  expect(await seen(page, 'retrying')).toContain('1');

  await dash(page).getByRole('button', { name: /Failed \(dead letter\)/ }).click();
  await expect(dash(page).getByText('1 job in the dead-letter store.')).toBeVisible();
  const row = rows(page).first();
  await expect(cell(row, 'state')).toHaveText('Failed');
  await expect(cell(row, 'attempts')).toHaveText('4 / 4');
  await expect(cell(row, 'error')).toHaveText('Error: HTTP 503 Service Unavailable while sending the message to ada@example.com (simulated)');
  await page.screenshot({ path: 'screenshots/dead-letter.png', fullPage: true });

  await server(page, { failureRate: 0 });
  await row.getByRole('button', { name: /^Retry send-message/ }).click();
  await expect(count(page, 'completed')).toHaveText('1');
  await expect(count(page, 'failed')).toHaveText('0');
  await expect(dash(page).getByText('No failed jobs: the dead-letter store is empty.')).toBeVisible();

  await dash(page).getByRole('combobox', { name: 'State', exact: true }).selectOption('completed');
  await expect(cell(rows(page).first(), 'attempts')).toHaveText('1 / 4');
  expect(errors).toEqual([]);
});

test('offline, requests fail like fetch; jobs wait without using up retries and finish once back online', async ({ page }) => {
  const errors = trackErrors(page);
  await openDemo(page);
  await server(page, { latency: 0, failureRate: 0, online: false });
  await page.evaluate(() => {
    const w = window as unknown as DemoWindow;
    w.__retrying = 0;
    w.jobrailDemo.queue.on('retrying', () => {
      w.__retrying = (w.__retrying ?? 0) + 1;
    });
  });

  await page.getByRole('button', { name: 'Add job' }).click();
  await expect(count(page, 'retrying')).toHaveText('1');
  const row = rows(page).first();
  await expect(cell(row, 'state')).toHaveText('Retrying');
  await expect(cell(row, 'error')).toHaveText('TypeError: Failed to fetch');
  // More failed tries than the job has attempts, and none of them counted.
  await expect.poll(() => page.evaluate(() => (window as unknown as DemoWindow).__retrying ?? 0), { timeout: 15_000 }).toBeGreaterThanOrEqual(4);
  await expect(cell(row, 'attempts')).toHaveText('0 / 4');
  await expect(count(page, 'failed')).toHaveText('0');

  await server(page, { online: true });
  await expect(count(page, 'completed')).toHaveText('1');
  await expect(cell(row, 'attempts')).toHaveText('1 / 4');
  expect(errors).toEqual([]);
});

test('a job that crashes its worker runs again; a job the server rejects goes straight to the dead-letter store', async ({ page }) => {
  const errors = trackErrors(page);
  await openDemo(page);
  await server(page, { latency: 0, failureRate: 0 });

  await page.getByRole('button', { name: 'Add a job that crashes its worker' }).click();
  await expect(count(page, 'completed')).toHaveText('1');
  const crashed = rows(page).filter({ hasText: 'crash@example.com' });
  await expect(cell(crashed, 'attempts')).toHaveText('2 / 4');
  await expect(cell(crashed, 'error')).toContainText('Worker died');

  await page.getByRole('button', { name: 'Add a job the server rejects' }).click();
  await expect(count(page, 'failed')).toHaveText('1');
  const rejected = rows(page).filter({ hasText: 'nobody@invalid' });
  await expect(cell(rejected, 'state')).toHaveText('Failed');
  await expect(cell(rejected, 'attempts')).toHaveText('1 / 4');
  await expect(cell(rejected, 'error')).toHaveText(/^PermanentError: HTTP 422 Unprocessable Entity/);

  // The pool replaced the crashed worker: work still flows.
  await page.getByRole('button', { name: 'Add job' }).click();
  await expect(count(page, 'completed')).toHaveText('2');
  expect(errors).toEqual([]);
});

test('pause holds new jobs in every tab; resume lets them run', async ({ page }) => {
  const errors = trackErrors(page);
  await openDemo(page);
  await server(page, { latency: 0, failureRate: 0 });

  await dash(page).getByRole('button', { name: 'Pause queue' }).click();
  await expect(dash(page).locator('.run-state')).toHaveText('Paused');
  await page.getByRole('button', { name: 'Add job' }).click();
  await page.getByRole('button', { name: 'Add job' }).click();
  await expect(count(page, 'pending')).toHaveText('2');
  await expect(cell(rows(page).first(), 'when')).toHaveText('ready');
  await expect(count(page, 'processing')).toHaveText('0');
  await expect(page.locator('#in-flight')).toHaveText('0');

  // A reload keeps the queue paused: the flag is stored, not held by the tab.
  await page.reload();
  await openDemo(page);
  await expect(dash(page).locator('.run-state')).toHaveText('Paused');
  await expect(count(page, 'pending')).toHaveText('2');

  await dash(page).getByRole('button', { name: 'Resume queue' }).click();
  await expect(dash(page).locator('.run-state')).toHaveText('Running');
  await expect(count(page, 'completed')).toHaveText('2');
  await expect(count(page, 'pending')).toHaveText('0');
  expect(errors).toEqual([]);
});

test('adds 1,000 jobs at once; a reload mid-run loses nothing and the counts carry on', async ({ page }) => {
  test.setTimeout(90_000);
  const errors = trackErrors(page);
  await openDemo(page);
  await server(page, { latency: 0, failureRate: 0 });

  await page.getByRole('button', { name: 'Add 1,000 jobs' }).click();
  await expect(page.locator('#status')).toHaveText(/^Queued 1,000 jobs in one transaction/);
  await expect(total(page)).toHaveText('1–10 of 1000');
  await expect.poll(async () => Number(await count(page, 'completed').textContent()), { timeout: 30_000 }).toBeGreaterThanOrEqual(100);
  await expect(page.locator('#in-flight')).not.toHaveText('0');
  await page.screenshot({ path: 'screenshots/demo-1000-mid-run.png', fullPage: true });
  const before = Number(await count(page, 'completed').textContent());
  expect(before).toBeLessThan(1000);

  await page.reload();
  await openDemo(page);
  // Every job is still there, and none of the finished ones went back.
  await expect(total(page)).toHaveText('1–10 of 1000');
  await expect.poll(async () => Number(await count(page, 'completed').textContent())).toBeGreaterThanOrEqual(before);
  await expect(count(page, 'completed')).toHaveText('1000', { timeout: 60_000 });
  await expect(count(page, 'failed')).toHaveText('0');
  await expect(total(page)).toHaveText('1–10 of 1000');
  expect(errors).toEqual([]);
});

test('a second tab sees the same queue, and the tabs run its jobs between them', async ({ page, context }) => {
  const errors = trackErrors(page);
  await openDemo(page);
  await server(page, { latency: 250, failureRate: 0 });
  const second = await context.newPage();
  const secondErrors = trackErrors(second);
  await openDemo(second);

  await expect(page.locator('#tab-count')).toHaveText('2: they share the work');
  await expect(second.locator('#tab-count')).toHaveText('2: they share the work');
  expect(await page.locator('#tab-id').textContent()).not.toBe(await second.locator('#tab-id').textContent());
  // The slider moved in the first tab reached the second (and its workers).
  await expect(second.locator('#latency-out')).toHaveText('250 ms');

  for (const p of [page, second]) {
    await p.evaluate(() => {
      const w = window as unknown as DemoWindow;
      w.__maxInFlight = 0;
      setInterval(() => {
        w.__maxInFlight = Math.max(w.__maxInFlight ?? 0, w.jobrailDemo.runner.inFlight);
      }, 10);
    });
  }
  // Jobs added in the second tab show up live in the first one's dashboard.
  for (let i = 0; i < 12; i++) await second.getByRole('button', { name: 'Add job' }).click();
  await expect(total(page)).toHaveText(/of 12$/);
  await expect(count(page, 'completed')).toHaveText('12');
  await expect(count(second, 'completed')).toHaveText('12');
  // The tabs' runners ran them: which tab takes which job is jobrail's choice (a tab that
  // finishes a job claims the next in the same transaction), so only the total is fixed.
  const inFlight = await Promise.all([page, second].map((p) => p.evaluate(() => (window as unknown as DemoWindow).__maxInFlight ?? 0)));
  expect(inFlight[0]! + inFlight[1]!).toBeGreaterThan(0);
  expect(errors).toEqual([]);
  expect(secondErrors).toEqual([]);
});

test('says "1 job" and "2 jobs" running here, and shows the message field\'s whole default text', async ({ page }) => {
  const errors = trackErrors(page);
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await openDemo(page);
    const text = page.getByLabel('Text', { exact: true });
    await expect(text).toHaveValue('Landed safely, see you soon!');
    // The value fits the field: nothing is cut off.
    const fit = await text.evaluate((input: HTMLInputElement) => ({ scroll: input.scrollWidth, client: input.clientWidth }));
    expect(fit.scroll).toBeLessThanOrEqual(fit.client);
  }
  await expect(page.locator('#in-flight-text')).toHaveText('0 jobs');
  await server(page, { latency: 3000, failureRate: 0 });
  await page.getByRole('button', { name: 'Add job' }).click();
  await expect(page.locator('#in-flight-text')).toHaveText('1 job');
  await page.getByRole('button', { name: 'Add job' }).click();
  await expect(page.locator('#in-flight-text')).toHaveText('2 jobs');
  expect(errors).toEqual([]);
});

test('a photo, then the message that links it: the message waits for the upload and carries its URL; 3 edits of a note are saved in order', async ({ page }) => {
  const errors = trackErrors(page);
  await openDemo(page);
  await server(page, { latency: 400, failureRate: 0 });
  await page.getByRole('button', { name: 'Photo, then the message that links it' }).click();
  await expect(page.locator('#status')).toHaveText(/Queued photo IMG_\d+\.png \(job (\d+)\) and a message .* \(job (\d+)\) that waits for it/);
  const [, uploadId, messageId] = /\(job (\d+)\).*\(job (\d+)\)/.exec((await page.locator('#status').textContent()) ?? '') ?? [];
  const snapshot = (id: string) => page.evaluate((jobId) => (window as unknown as { jobrailDemo: { queue: { get(id: string): Promise<{ state: string; waitingFor: string[]; result: unknown } | undefined> } } }).jobrailDemo.queue.get(jobId), id);
  // While the photo uploads, the message is pending and says what it waits for.
  await expect.poll(async () => (await snapshot(messageId!))?.waitingFor).toEqual([uploadId]);
  await expect.poll(async () => (await snapshot(messageId!))?.state, { timeout: 15_000 }).toBe('completed');
  const upload = (await snapshot(uploadId!))?.result as { url: string };
  expect((await snapshot(messageId!))?.result).toMatchObject({ photos: [upload.url] });

  await page.getByRole('button', { name: 'Edit a note 3 times' }).click();
  await page.getByRole('button', { name: 'Edit a note 3 times' }).click();
  const log = page.locator('#notes-log li');
  await expect(log).toHaveCount(6, { timeout: 20_000 });
  const saved = await log.evaluateAll((items) => items.map((li) => [(li as HTMLElement).dataset.note, Number((li as HTMLElement).dataset.version)] as const).reverse());
  for (const note of new Set(saved.map(([n]) => n))) expect(saved.filter(([n]) => n === note).map(([, v]) => v)).toEqual([1, 2, 3]);
  expect(errors).toEqual([]);
});
