/**
 * Opt-in scenario `upgrade`: the first open of a queue stored by an older schema, with N
 * jobs, by the current code — what a user waits for once after deploying a new jobrail.
 * The database is the committed fixture of that version (test/fixtures/schema-v1.ts or
 * schema-v2.ts) plus N jobs written as that version wrote them; seeding is not timed.
 * From version 1: N pending jobs (record without data, data in `payloads`). From version 2:
 * N pending jobs with inline data (the worst case for version 3, which moves every
 * unfinished job to its own store), or N completed ones (which version 3 leaves in place).
 */
import { openQueue } from 'jobrail';
import { buildSchemaV1 } from '../../test/fixtures/schema-v1.js';
import { buildSchemaV2 } from '../../test/fixtures/schema-v2.js';
import { deleteDb, done, freshName, jobrailDb, now, request, type Metrics } from './common.js';

async function seedV1(queue: string, jobs: number): Promise<void> {
  await buildSchemaV1(indexedDB, queue, Date.now());
  const db = await request(indexedDB.open(jobrailDb(queue), 1));
  try {
    const tx = db.transaction(['jobs', 'payloads'], 'readwrite', { durability: 'relaxed' });
    // The fixture's first job is a plain pending one: copies of it get ids after the fixture's.
    const template = (await request(tx.objectStore('jobs').get('1'))) as Record<string, unknown>;
    for (let i = 0; i < jobs; i += 1) {
      const seq = 1000 + i;
      tx.objectStore('jobs').put({ ...template, id: String(seq), seq, kState: ['pending', seq], kName: [template.name, seq], kStateName: ['pending', template.name, seq], kReady: [0, 0, seq] });
      tx.objectStore('payloads').put({ data: { i, to: 'someone@example.com' } }, String(seq));
    }
    await done(tx);
  } finally {
    db.close();
  }
}

async function seedV2(queue: string, jobs: number, state: 'pending' | 'completed'): Promise<void> {
  await buildSchemaV2(indexedDB, queue, Date.now());
  const db = await request(indexedDB.open(jobrailDb(queue), 2));
  try {
    const tx = db.transaction(['jobs'], 'readwrite', { durability: 'relaxed' });
    const template = (await request(tx.objectStore('jobs').get('1'))) as Record<string, unknown>;
    const at = Date.now();
    for (let i = 0; i < jobs; i += 1) {
      const seq = 1000 + i;
      const { kReady: _r, ...base } = template;
      const keys =
        state === 'pending'
          ? { kState: ['pending', seq], kStateName: ['pending', template.name, seq], kReady: [0, 0, seq] }
          : { state: 'completed', ready: false, attempts: 1, finishedAt: at, result: null, kState: ['completed', seq], kStateName: ['completed', template.name, seq], kFinished: ['completed', at, seq] };
      tx.objectStore('jobs').put({ ...base, id: String(seq), seq, data: { i, to: 'someone@example.com' }, inline: true, ...keys });
    }
    await done(tx);
  } finally {
    db.close();
  }
}

export async function run({ jobs, from = 1, state = 'pending' }: { jobs: number; from?: 1 | 2; state?: 'pending' | 'completed' }): Promise<Metrics> {
  const name = freshName('upgrade');
  try {
    const s0 = now();
    if (from === 1) await seedV1(name, jobs);
    else await seedV2(name, jobs, state);
    const seedMs = now() - s0;
    const t0 = now();
    const queue = await openQueue(name);
    const counts = await queue.counts();
    const ms = now() - t0;
    await queue.close();
    if (counts[state] < jobs) throw new Error(`upgrade kept ${String(counts[state])} ${state} jobs of ${String(jobs)}`);
    return { ms, seedMs };
  } finally {
    await deleteDb(jobrailDb(name));
  }
}
