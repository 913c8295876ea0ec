/**
 * Opt-in scenario `upgrade`: the first open of a queue stored by schema version 1, with N
 * jobs, by the current code — what a user waits for once after deploying a new jobrail.
 * The database is the committed v1 fixture (test/fixtures/schema-v1.ts) plus N pending jobs
 * written as v1 wrote them (record without data, data in `payloads`); seeding is not timed.
 */
import { openQueue } from 'jobrail';
import { buildSchemaV1 } from '../../test/fixtures/schema-v1.js';
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

export async function run({ jobs }: { jobs: number }): Promise<Metrics> {
  const name = freshName('upgrade');
  try {
    const s0 = now();
    await seedV1(name, jobs);
    const seedMs = now() - s0;
    const t0 = now();
    const queue = await openQueue(name);
    const counts = await queue.counts();
    const ms = now() - t0;
    await queue.close();
    if (counts.pending < jobs) throw new Error(`upgrade kept ${String(counts.pending)} pending jobs of ${String(jobs)}`);
    return { ms, seedMs };
  } finally {
    await deleteDb(jobrailDb(name));
  }
}
