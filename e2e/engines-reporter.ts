/** Closes a run with the number of tests per engine (project), so `npm test` says what ran where. */
import type { FullResult, Reporter, TestCase, TestResult } from '@playwright/test/reporter';

export default class EnginesReporter implements Reporter {
  private readonly byEngine = new Map<string, { passed: number; failed: number; skipped: number }>();

  onTestEnd(test: TestCase, result: TestResult): void {
    const engine = test.parent.project()?.name ?? '?';
    const row = this.byEngine.get(engine) ?? { passed: 0, failed: 0, skipped: 0 };
    // Only the final try counts (retries are off, but keep it right if they are turned on).
    if (result.retry < test.retries && test.outcome() === 'unexpected') return;
    // As Playwright counts: a failsIn() test that failed as declared has passed.
    const outcome = test.outcome();
    if (outcome === 'skipped') row.skipped += 1;
    else if (outcome === 'unexpected') row.failed += 1;
    else row.passed += 1;
    this.byEngine.set(engine, row);
  }

  onEnd(_result: FullResult): void {
    console.log('\nTests per engine:');
    for (const [engine, r] of this.byEngine) {
      console.log(`  ${engine.padEnd(9)} ${String(r.passed + r.failed).padStart(3)} tests run: ${String(r.passed)} passed, ${String(r.failed)} failed; ${String(r.skipped)} not run in this engine (onlyIn)`);
    }
  }

  printsToStdio(): boolean {
    return false;
  }
}
