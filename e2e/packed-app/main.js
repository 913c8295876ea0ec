// A fresh app that uses jobrail as `npm pack` ships it, under a strict CSP.
import { openQueue, startWorkers, PermanentError } from 'jobrail';
import 'jobrail/dashboard';

const violations = [];
document.addEventListener('securitypolicyviolation', (e) => violations.push(`${e.violatedDirective}: ${e.blockedURI}`));

async function main() {
  const queue = await openQueue('packed', { defaults: { retries: 1, backoff: { type: 'fixed', delay: 10 } } });
  const runner = startWorkers(queue, {
    worker: () => new Worker(new URL('./jobs.worker.js', import.meta.url), { type: 'module' }),
    workers: 1,
    concurrency: 2,
  });
  await runner.ready;
  const job = await queue.add('double', { n: 21, blob: new Blob(['abc']) });
  const result = await queue.waitFor(job.id);
  const bad = await queue.add('explode', {});
  let failed = '';
  try {
    await queue.waitFor(bad.id);
  } catch (error) {
    failed = error.name + ':' + error.job.error.name;
  }
  window.outcome = { result, failed, permanentIsExported: typeof PermanentError === 'function', violations };
  document.getElementById('status').textContent = 'done';
}
main().catch((error) => {
  document.getElementById('status').textContent = 'error: ' + error.message;
});
