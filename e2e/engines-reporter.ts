/** Closes a run with the number of tests per engine (project), so `npm test` says what ran where. */
import type { FullResult, Reporter, TestCase, TestResult } from '@playwright/test/reporter';

export default class EnginesReporter implements Reporter {
  private readonly byEngine = new Map<string, { passed: number; failed: number; skipped: number }>();

  onTestEnd(test: TestCase, result: TestResult): void {
    const engine = test.parent.project()?.name ?? '?';
    const row = this.byEngine.get(engine) ?? { passed: 0, failed: 0, skipped: 0 };
    // Only the final try counts (retries are off, but keep it right if they are turned on).
    if (result.retry < test.retries && result.status !== 'passed' && result.status !== 'skipped') return;
    if (result.status === 'passed') row.passed += 1;
    else if (result.status === 'skipped') row.skipped += 1;
    else row.failed += 1;
    this.byEngine.set(engine, row);
  }

  onEnd(_result: FullResult): void {
    console.log('\nTests per engine:');
    for (const [engine, r] of this.byEngine) {
      console.log(`  ${engine.padEnd(9)} ${String(r.passed + r.failed + r.skipped).padStart(3)} tests: ${String(r.passed)} passed, ${String(r.failed)} failed${r.skipped ? `, ${String(r.skipped)} skipped` : ''}`);
    }
  }

  printsToStdio(): boolean {
    return false;
  }
}
