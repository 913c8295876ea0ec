import { expect, type Page } from '@playwright/test';
import { test } from './test.js';
import type { LogEntry } from './pages/harness-handlers.js';

/** Collects console errors and uncaught exceptions (page and workers); tests assert none at the end. */
export function trackErrors(page: Page): string[] {
  const errors: string[] = [];
  // Under Firefox (BiDi), Playwright's own input helpers inject a <style> that a strict CSP
  // blocks, and Firefox reports the violation as a page error. The app itself never uses
  // inline styles; Chromium, where nothing is injected, still catches any that it would.
  const firefox = test.info().project.name === 'firefox';
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (error) => {
    if (firefox && /blocked an inline style \(style-src-elem\)/.test(error.message)) return;
    errors.push(`pageerror: ${error.message}`);
  });
  page.on('worker', (worker) =>
    worker.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(`worker console: ${msg.text()}`);
    }),
  );
  return errors;
}

/** Opens the harness page and waits until it has opened (and maybe started) its queue. */
export async function openHarness(page: Page, query: Record<string, string | number> = {}): Promise<void> {
  const search = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]));
  await page.goto(`/e2e/pages/harness.html?${search.toString()}`);
  await expect(page.locator('#status')).toHaveText('ready', { timeout: 30_000 });
}

export const counts = (page: Page): Promise<Record<string, number>> => page.evaluate(() => window.h.counts());

export const readLog = (page: Page): Promise<LogEntry[]> => page.evaluate(() => window.h.log());

/** Waits until `n` jobs are completed, polling the queue's counts. */
export async function waitCompleted(page: Page, n: number, timeout = 60_000): Promise<void> {
  await expect.poll(async () => (await counts(page)).completed, { timeout, intervals: [100, 250, 500] }).toBe(n);
}

/** The invariants every scenario checks from the handlers' own record. */
export function checkInvariants(entries: LogEntry[]): { overlaps: number; afterComplete: number; starts: Map<string, number>; ends: Map<string, number> } {
  const starts = new Map<string, number>();
  const ends = new Map<string, number>();
  for (const e of entries) {
    if (e.kind === 'start') starts.set(e.job, (starts.get(e.job) ?? 0) + 1);
    if (e.kind === 'end') ends.set(e.job, (ends.get(e.job) ?? 0) + 1);
  }
  return {
    overlaps: entries.filter((e) => e.kind === 'overlap').length,
    afterComplete: entries.filter((e) => e.kind === 'after-complete').length,
    starts,
    ends,
  };
}
