/** Scenario 1 — enqueue: `add` one at a time and `addBulk`, vs raw strict puts. */
import { openQueue } from 'jobrail';
import { deleteDb, freshName, jobrailDb, now, type Metrics } from './common.js';
import { RawQueue } from './raw.js';

const payload = (i: number) => ({ i, to: `user${String(i)}@example.com` });

export async function addOne({ jobs }: { jobs: number }): Promise<Metrics> {
  const name = freshName('enq-add');
  const queue = await openQueue(name);
  try {
    const t0 = now();
    for (let i = 0; i < jobs; i += 1) await queue.add('noop', payload(i));
    const ms = now() - t0;
    return { rate: (jobs / ms) * 1000, msPerJob: ms / jobs };
  } finally {
    await queue.close();
    await deleteDb(jobrailDb(name));
  }
}

export async function addBulk({ jobs }: { jobs: number }): Promise<Metrics> {
  const name = freshName('enq-bulk');
  const queue = await openQueue(name);
  try {
    const items = Array.from({ length: jobs }, (_, i) => ({ name: 'noop', data: payload(i) }));
    const t0 = now();
    await queue.addBulk(items);
    const ms = now() - t0;
    return { rate: (jobs / ms) * 1000, ms };
  } finally {
    await queue.close();
    await deleteDb(jobrailDb(name));
  }
}

export async function rawPutPerTx({ jobs }: { jobs: number }): Promise<Metrics> {
  const raw = await RawQueue.open(freshName('enq-raw1'));
  try {
    const t0 = now();
    for (let i = 0; i < jobs; i += 1) await raw.putOne(payload(i));
    const ms = now() - t0;
    return { rate: (jobs / ms) * 1000, msPerJob: ms / jobs };
  } finally {
    await raw.destroy();
  }
}

export async function rawOneTx({ jobs }: { jobs: number }): Promise<Metrics> {
  const raw = await RawQueue.open(freshName('enq-rawN'));
  try {
    const datas = Array.from({ length: jobs }, (_, i) => payload(i));
    const t0 = now();
    await raw.putMany(datas);
    const ms = now() - t0;
    return { rate: (jobs / ms) * 1000, ms };
  } finally {
    await raw.destroy();
  }
}
