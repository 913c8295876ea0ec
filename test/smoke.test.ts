import { expect, test } from 'vitest';
import { openQueue, startWorkers } from '../src/index.js';

test('smoke', async () => {
  const q = await openQueue<{ email: { to: string } }>('smoke');
  const job = await q.add('email', { to: 'a@b.c' });
  const runner = startWorkers(q, { handlers: { email: async (d) => `sent ${d.to}` } });
  expect(await q.waitFor(job.id)).toBe('sent a@b.c');
  await runner.stop();
  expect(await q.counts()).toEqual({ pending: 0, processing: 0, completed: 1, retrying: 0, failed: 0 });
  await q.close();
});
