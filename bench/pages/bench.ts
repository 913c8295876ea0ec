/**
 * Entry of bench.html: exposes every benchmark case on `window.jobrailBench` for
 * bench/run.mjs, which calls `jobrailBench.run(caseName, params)` through page.evaluate.
 */
import { notes, type Metrics } from './common.js';
import * as diag from './diag.js';
import * as e2e from './e2e.js';
import * as enqueue from './enqueue.js';
import * as groups from './groups.js';
import * as layout from './layout.js';
import * as latency from './latency.js';
import * as mainthread from './mainthread.js';
import * as memory from './memory.js';
import * as peers from './peers.js';
import * as scale from './scale.js';
import * as upgrade from './upgrade.js';

type Case = (params: never) => Promise<Metrics>;

const cases: Record<string, Case> = {
  'enqueue.addOne': enqueue.addOne,
  'enqueue.addBulk': enqueue.addBulk,
  'enqueue.rawPutPerTx': enqueue.rawPutPerTx,
  'enqueue.rawOneTx': enqueue.rawOneTx,
  'e2e.jobrail': e2e.jobrail,
  'e2e.raw': e2e.raw,
  'layout.loop': layout.loop,
  'layout.addFloor': layout.addFloor,
  'e2e.pQueue': e2e.pQueue,
  'latency.jobrail': latency.jobrail,
  'latency.raw': latency.raw,
  'scale.run': scale.run,
  'scale.dispose': scale.dispose,
  'memory.growth': memory.growth,
  'memory.dispose': memory.dispose,
  'mainthread.longTasks': mainthread.longTasks,
  'mainthread.idle': mainthread.idle,
  'peers.workbox': peers.workbox,
  'peers.dexie': peers.dexie,
  'diag.txProfile': diag.txProfile,
  'diag.variants': diag.variants,
  'upgrade.run': upgrade.run,
  'groups.claim': groups.claim,
  'groups.e2e': groups.e2e,
};

declare global {
  interface Window {
    jobrailBench: { ready: true; cases: string[]; run(name: string, params: unknown): Promise<Metrics>; takeNotes(): string[] };
  }
}

window.jobrailBench = {
  ready: true,
  cases: Object.keys(cases),
  run(name, params) {
    const fn = cases[name];
    if (!fn) return Promise.reject(new Error(`unknown bench case ${name}`));
    return fn(params as never);
  },
  takeNotes: () => notes.splice(0),
};
