/**
 * Schema upgrades in every engine (issues 7 and 12): a database as schema version 1 or 2 wrote
 * it, built with the browser's own IndexedDB (Blob data included where the browser stores
 * Blobs: not in WebKit's ephemeral session), opened with the current code.
 */
import { expect, test, type Page } from './test.js';
import { DB_VERSION } from '../src/store/schema.js';
import type { EncodedFixture, EncodedJob, SeenJob, UpgradeApi } from './pages/upgrade.js';

declare const up: UpgradeApi;

let seq = 0;
const unique = (prefix: string) => `${prefix}-${String(Date.now())}-${String(++seq)}`;

async function load(page: Page, queue?: string): Promise<void> {
  await page.goto(`/e2e/pages/upgrade.html${queue ? `?queue=${queue}` : ''}`);
  await expect(page.locator('#status')).toHaveText('ready', { timeout: 30_000 });
}

/** Builds the database of an older version for a fresh queue and opens it with the current code. */
async function upgraded(page: Page, version: 1 | 2): Promise<EncodedFixture> {
  const queue = unique(`schema-v${String(version)}`);
  await load(page);
  const blob = test.info().project.name !== 'webkit';
  const fixture = await page.evaluate(([name, v, b]) => up.build(name, v, b), [queue, version, blob] as const);
  await page.evaluate((name) => up.open(name), queue);
  expect(await page.evaluate(() => up.version())).toBe(DB_VERSION);
  return fixture;
}

const label = (job: EncodedJob) => `job ${job.id} (${job.name}, ${job.state} in v1)`;

/** Every fixture job is there as v1 stored it, data deep-equal. */
function expectKept(fixture: EncodedFixture, jobs: SeenJob[]): void {
  expect(jobs.map((j) => j.id), 'ids after the upgrade').toEqual(fixture.ids);
  for (const [i, job] of fixture.jobs.entries()) {
    const { id, name, state, priority, attempts, runAt, idempotencyKey, result, error, finishedAt, data } = job;
    expect(jobs[i], label(job)).toMatchObject({ id, name, state, priority, attempts, runAt, idempotencyKey, result, error, finishedAt });
    expect(jobs[i]?.data, `data of ${label(job)}`).toEqual(data);
  }
}

/** Runs the queue and checks that every waiting job ran once, with its data, and nothing failed. */
async function runAll(page: Page, fixture: EncodedFixture): Promise<void> {
  const { calls, failed } = await page.evaluate((names) => up.run(names), fixture.names);
  const expected = fixture.jobs.filter((j) => j.runs === 'now').sort((a, b) => b.priority - a.priority || a.seq - b.seq);
  expect(calls.map((c) => c.id), 'jobs run, in order').toEqual(expected.map((j) => j.id));
  for (const [i, job] of expected.entries()) expect(calls[i], label(job)).toEqual({ id: job.id, attempt: job.attempts + 1, data: job.data });
  expect(failed, 'jobs that failed').toEqual([]);

  const after = await page.evaluate(() => up.jobs());
  expect(after.map((j) => j.id)).toEqual(fixture.ids);
  for (const [i, job] of fixture.jobs.entries()) {
    const want =
      job.runs === 'now'
        ? { state: 'completed', attempts: job.attempts + 1, result: `ran ${job.name}`, data: job.data }
        : { state: job.state, attempts: job.attempts, result: job.result, error: job.error, finishedAt: job.finishedAt, data: job.data };
    expect(after[i], label(job)).toMatchObject(want);
  }
}

for (const version of [1, 2] as const) {
  test.describe(`schema version ${String(version)} database`, () => {

    test('keeps every job, data (Blob, Date, Map, 40 KB) included, and runs every waiting one', async ({ page }) => {
      const fixture = await upgraded(page, version);
      if (test.info().project.name !== 'webkit') expect(fixture.names).toContain('blob');
      expectKept(fixture, await page.evaluate(() => up.jobs()));
      await runAll(page, fixture);
    });

    test('the upgrade persists: after a reload every job is still there, reopening changes nothing, and they run', async ({ page }) => {
      const fixture = await upgraded(page, version);
      const jobs = await page.evaluate(() => up.jobs());
      const raw = await page.evaluate(() => up.raw());
      expectKept(fixture, jobs);
      await page.evaluate(() => up.close());

      await load(page, fixture.dbName.slice('jobrail:'.length));
      expect(await page.evaluate(() => up.version())).toBe(DB_VERSION);
      expect(await page.evaluate(() => up.jobs())).toEqual(jobs);
      expect(await page.evaluate(() => up.raw()), 'stored records after reopening').toEqual(raw);
      await runAll(page, fixture);
    });
  });
}
