#!/usr/bin/env node
/**
 * jobrail benchmarks, measured inside headless Chromium, Firefox (--browser firefox) or
 * WebKitGTK (--browser webkit).
 *
 *   npm run bench                                  full run (≈ 10 min on 2 cores)
 *   npm run bench -- --quick                       small sizes, ≈ 1 min
 *   npm run bench -- --only enqueue,scale --sizes 1000,10000 --reps 5
 *   npm run bench -- --help
 *
 * Starts a Vite dev server on the repo's vite.config.ts (which maps `jobrail` and
 * `jobrail/worker` to src/), opens bench/pages/bench.html in Chromium, and runs every case
 * through `window.jobrailBench.run(case, params)`. Each target is a ratio against a
 * baseline measured in the same run, on the same page, interleaved repetition by repetition.
 * Prints a table (median, min–max) and the targets, and writes JSON to bench/results/.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromiumArgs, chromiumPath } from '../e2e/chromium.mjs';
import { firefoxLaunch, firefoxPath } from '../e2e/firefox.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');

// ---------------------------------------------------------------- options

const SCENARIOS = ['enqueue', 'e2e', 'latency', 'scale', 'memory', 'mainthread', 'peers'];
/** Opt-in scenarios, run only when named in --only. */
const EXTRA = ['diag', 'upgrade', 'groups', 'tail', 'layout'];

const HELP = `Usage: npm run bench -- [options]

  --quick               small sizes and 3 repetitions (about a minute)
  --only a,b            scenarios to run: ${SCENARIOS.join(', ')} (default: all);
                        also upgrade (opt-in): first open of a schema-1 database of each
                        --sizes jobs by the current code; diag (opt-in): where jobrail's time goes (transactions,
                        requests and messages per job; variants with parts taken away); layout (opt-in): jobrail in-page
                        against its own claim and settle requests on its own database without the library; and tail (opt-in): one
                        run of --tail-jobs jobs, throughput over its last tenth against its first
  --reps N              measured repetitions per case, after one warm-up (default 5; quick 3)
  --sizes a,b,c         scale: numbers of other stored jobs (default 1000,10000,100000)
  --jobs N              e2e: jobs per run (default 10000, the issue's size; quick 500)
  --enqueue-jobs N      enqueue: jobs per run (default 1000)
  --latency-jobs N      latency: jobs per run (default 500)
  --scale-jobs N        scale: jobs claimed and completed per run (default 1000)
  --memory-jobs N       memory: stored jobs (default 100000)
  --longtask-jobs N     mainthread: jobs run in workers (default 1000)
  --peer-jobs N         peers: jobs per run (default 1000)
  --diag-jobs N         diag: jobs per run (default 2000)
  --tail-jobs N         tail: jobs per run (default 100000; quick 10000)
  --browser NAME        chromium (default), firefox (Debian's firefox-esr over BiDi) or
                        webkit (WebKitGTK's MiniBrowser under Xvfb, over WebDriver; its
                        automation session keeps storage in memory, as private browsing)
  --profile disk|memory disk (default): a persistent profile in a temp dir, so IndexedDB
                        writes reach the disk; memory: an incognito context, where
                        Chromium keeps IndexedDB in memory
  --port N              Vite dev server port (default 5190, next free one if taken)
  --out FILE            JSON output (default bench/results/bench-<date>.json)
  --headed              show the browser
  --help`;

function parseArgs(argv) {
  const o = { quick: false, only: SCENARIOS, profile: 'disk', port: 5190, headed: false, browser: 'chromium' };
  const num = (name, v) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} expects a positive number, got ${v}`);
    return Math.round(n);
  };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const [flag, inline] = arg.includes('=') ? arg.split(/=(.*)/s) : [arg, undefined];
    const value = () => {
      if (inline !== undefined) return inline;
      i += 1;
      if (argv[i] === undefined) throw new Error(`${flag} expects a value`);
      return argv[i];
    };
    switch (flag) {
      case '--help':
      case '-h':
        console.log(HELP);
        process.exit(0);
        break;
      case '--quick':
        o.quick = true;
        break;
      case '--headed':
        o.headed = true;
        break;
      case '--only': {
        const list = value().split(',').map((s) => s.trim()).filter(Boolean);
        for (const s of list) if (![...SCENARIOS, ...EXTRA].includes(s)) throw new Error(`unknown scenario ${s}: expected ${[...SCENARIOS, ...EXTRA].join(', ')}`);
        o.only = list;
        break;
      }
      case '--sizes':
        o.sizes = value().split(',').map((s) => num('sizes', s));
        break;
      case '--reps':
        o.reps = num('reps', value());
        break;
      case '--jobs':
        o.e2eJobs = num('jobs', value());
        break;
      case '--enqueue-jobs':
        o.enqueueJobs = num('enqueue-jobs', value());
        break;
      case '--latency-jobs':
        o.latencyJobs = num('latency-jobs', value());
        break;
      case '--scale-jobs':
        o.scaleJobs = num('scale-jobs', value());
        break;
      case '--memory-jobs':
        o.memoryJobs = num('memory-jobs', value());
        break;
      case '--longtask-jobs':
        o.longtaskJobs = num('longtask-jobs', value());
        break;
      case '--peer-jobs':
        o.peerJobs = num('peer-jobs', value());
        break;
      case '--diag-jobs':
        o.diagJobs = num('diag-jobs', value());
        break;
      case '--tail-jobs':
        o.tailJobs = num('tail-jobs', value());
        break;
      case '--profile': {
        const p = value();
        if (p !== 'disk' && p !== 'memory') throw new Error(`--profile expects disk or memory, got ${p}`);
        o.profile = p;
        break;
      }
      case '--browser': {
        const b = value();
        if (!['chromium', 'firefox', 'webkit'].includes(b)) throw new Error(`--browser expects chromium, firefox or webkit, got ${b}`);
        o.browser = b;
        break;
      }
      case '--port':
        o.port = num('port', value());
        break;
      case '--out':
        o.out = path.resolve(value());
        break;
      default:
        throw new Error(`unknown option ${arg} (see --help)`);
    }
  }
  const q = o.quick;
  return {
    ...o,
    reps: o.reps ?? (q ? 3 : 5),
    sizes: o.sizes ?? (q ? [1000, 10000] : [1000, 10000, 100000]),
    e2eJobs: o.e2eJobs ?? (q ? 500 : 10000),
    enqueueJobs: o.enqueueJobs ?? (q ? 200 : 1000),
    latencyJobs: o.latencyJobs ?? (q ? 60 : 500),
    scaleJobs: o.scaleJobs ?? (q ? 200 : 1000),
    groupJobs: q ? 10_000 : 100_000,
    memoryJobs: o.memoryJobs ?? (q ? 10000 : 100000),
    longtaskJobs: o.longtaskJobs ?? (q ? 300 : 1000),
    peerJobs: o.peerJobs ?? (q ? 200 : 1000),
    diagJobs: o.diagJobs ?? (q ? 500 : 2000),
    tailJobs: o.tailJobs ?? (q ? 10000 : 100000),
  };
}

// ---------------------------------------------------------------- scenarios

const RATE = { key: 'rate', unit: 'jobs/s', better: 'higher' };

/** The cases of each scenario; a case is one function of bench/pages/bench.ts with its params. */
function plan(cfg) {
  const e = cfg.enqueueJobs;
  const n = cfg.e2eJobs;
  const l = cfg.latencyJobs;
  const p = cfg.peerJobs;
  const e2eMetrics = [RATE, { key: 'headRate', unit: 'jobs/s', better: 'higher' }, { key: 'tailRate', unit: 'jobs/s', better: 'higher' }];
  // Transactions the run made (IDBDatabase.transaction calls, every tab-side one) per job.
  const runMetrics = [...e2eMetrics, { key: 'txPerJob', unit: 'tx/job', better: 'lower' }];
  // Warm-ups of the long cases run smaller: they only have to compile code and open files.
  const warmE2e = { jobs: Math.min(n, 1000) };
  const warmLat = { jobs: Math.min(l, 50) };
  const lat = [
    { key: 'p50', unit: 'ms', better: 'lower' },
    { key: 'p99', unit: 'ms', better: 'lower' },
  ];
  return {
    enqueue: {
      title: `enqueue ${e} jobs`,
      cases: [
        { id: 'add', label: 'jobrail add, awaited one at a time', fn: 'enqueue.addOne', params: { jobs: e }, metrics: [RATE] },
        { id: 'rawPut', label: 'raw: one strict tx per put', fn: 'enqueue.rawPutPerTx', params: { jobs: e }, metrics: [RATE] },
        { id: 'addBulk', label: `jobrail addBulk of ${e}`, fn: 'enqueue.addBulk', params: { jobs: e }, metrics: [RATE] },
        { id: 'rawBatch', label: `raw: ${e} puts in one strict tx`, fn: 'enqueue.rawOneTx', params: { jobs: e }, metrics: [RATE] },
      ],
    },
    e2e: {
      title: `end-to-end: ${n} no-op jobs, first start → last completion`,
      cases: [
        { id: 'page1', label: 'jobrail in-page, concurrency 1', fn: 'e2e.jobrail', params: { jobs: n, concurrency: 1 }, warm: warmE2e, metrics: runMetrics },
        { id: 'page8', label: 'jobrail in-page, concurrency 8', fn: 'e2e.jobrail', params: { jobs: n, concurrency: 8 }, warm: warmE2e, metrics: runMetrics },
        { id: 'worker', label: 'jobrail 2 workers × concurrency 8', fn: 'e2e.jobrail', params: { jobs: n, concurrency: 8, workers: 2 }, warm: warmE2e, metrics: runMetrics },
        { id: 'raw1', label: 'raw: claim 1 / complete 1 per tx', fn: 'e2e.raw', params: { jobs: n, batch: 1 }, warm: warmE2e, metrics: e2eMetrics },
        // Context: a runner at concurrency 8 can settle and claim at most 8 jobs per transaction.
        { id: 'raw8', label: 'raw: claim 8 / complete 8 per tx', fn: 'e2e.raw', params: { jobs: n, batch: 8 }, warm: warmE2e, metrics: e2eMetrics },
        { id: 'raw16', label: 'raw: claim 16 / complete 16 per tx', fn: 'e2e.raw', params: { jobs: n, batch: 16 }, warm: warmE2e, metrics: e2eMetrics },
        { id: 'pqueue', label: 'p-queue (memory only), concurrency 8', fn: 'e2e.pQueue', params: { jobs: n, concurrency: 8 }, metrics: [RATE] },
      ],
    },
    latency: {
      title: `idle latency, add → handler start, ${l} jobs`,
      cases: [
        { id: 'page', label: 'jobrail in-page', fn: 'latency.jobrail', params: { jobs: l, worker: false }, warm: { ...warmLat, worker: false }, metrics: lat },
        { id: 'worker', label: 'jobrail in a worker', fn: 'latency.jobrail', params: { jobs: l, worker: true }, warm: { ...warmLat, worker: true }, metrics: lat },
        { id: 'raw', label: 'raw: strict put + claim tx', fn: 'latency.raw', params: { jobs: l }, warm: warmLat, metrics: lat },
      ],
    },
    scale: {
      title: `scale: claim + complete ${cfg.scaleJobs} jobs (in-page, concurrency 8) beside N stored jobs`,
      cases: cfg.sizes.map((size) => ({
        id: `n${size}`,
        label: `${size.toLocaleString('en')} other jobs stored`,
        fn: 'scale.run',
        params: { size, jobs: cfg.scaleJobs, concurrency: 8 },
        metrics: [{ key: 'ms', unit: 'ms', better: 'lower' }, RATE],
        dispose: { fn: 'scale.dispose', params: { size } },
      })),
    },
    memory: {
      title: `memory: JS heap after gc, open queue + started runner`,
      cases: [
        {
          id: 'heap',
          label: `${cfg.memoryJobs.toLocaleString('en')} stored vs empty`,
          fn: 'memory.growth',
          params: { stored: cfg.memoryJobs },
          dispose: { fn: 'memory.dispose', params: { stored: cfg.memoryJobs } },
          metrics: [
            { key: 'growthMB', unit: 'MB', better: 'lower' },
            { key: 'emptyMB', unit: 'MB', better: 'lower' },
            { key: 'fullMB', unit: 'MB', better: 'lower' },
          ],
        },
      ],
    },
    mainthread: {
      title: `main thread: long tasks while ${cfg.longtaskJobs} jobs run in 2 workers × 8`,
      cases: [
        {
          id: 'workers',
          label: 'jobrail 2 workers × concurrency 8',
          fn: 'mainthread.longTasks',
          params: { jobs: cfg.longtaskJobs, workers: 2, concurrency: 8 },
          metrics: [
            { key: 'longTasks', unit: 'tasks', better: 'lower' },
            { key: 'longestMs', unit: 'ms', better: 'lower' },
            { key: 'ms', unit: 'ms', better: 'lower' },
          ],
        },
        {
          id: 'idle',
          label: 'control: same page idle, no jobs',
          fn: 'mainthread.idle',
          params: { ms: cfg.quick ? 1000 : 3000 },
          metrics: [
            { key: 'longTasks', unit: 'tasks', better: 'lower' },
            { key: 'longestMs', unit: 'ms', better: 'lower' },
          ],
        },
      ],
    },
    peers: {
      title: `peers: enqueue ${p} one at a time, then take them all out`,
      cases: [
        {
          id: 'workbox',
          label: 'workbox-background-sync Queue (service worker)',
          fn: 'peers.workbox',
          params: { jobs: p },
          metrics: [
            { key: 'pushRate', unit: 'jobs/s', better: 'higher' },
            { key: 'shiftRate', unit: 'jobs/s', better: 'higher' },
            { key: 'perJobRate', unit: 'jobs/s', better: 'higher' },
          ],
        },
        {
          id: 'dexie',
          label: 'naive Dexie queue, [priority+seq]',
          fn: 'peers.dexie',
          params: { jobs: p },
          metrics: [
            { key: 'addRate', unit: 'jobs/s', better: 'higher' },
            { key: 'takeRate', unit: 'jobs/s', better: 'higher' },
            { key: 'perJobRate', unit: 'jobs/s', better: 'higher' },
          ],
        },
      ],
    },
    upgrade: {
      title: 'first open of a database of an older schema version (upgrade + counts())',
      cases: [
        [1, 'pending', 'v1', 'pending jobs stored by schema version 1'],
        [2, 'pending', 'v2', 'pending jobs stored by schema version 2 (all move in version 3)'],
        [2, 'completed', 'v2done', 'completed jobs stored by schema version 2 (they stay in place)'],
      ].flatMap(([from, state, tag, what]) =>
        cfg.sizes.map((size) => ({
          id: `${tag}n${size}`,
          label: `${size.toLocaleString('en')} ${what}`,
          fn: 'upgrade.run',
          params: { jobs: size, from, state },
          warm: { jobs: Math.min(size, 1000), from, state },
          metrics: [{ key: 'ms', unit: 'ms', better: 'lower' }],
        })),
      ),
    },
    groups: {
      title: `ordered groups: one claim beside ${cfg.groupJobs.toLocaleString('en')} stored jobs (1,000 groups, 999 busy) vs no groups; e2e of ${cfg.e2eJobs} jobs, each in a group of its own, vs none`,
      cases: [
        { id: 'claimGroups', label: `claim, ${cfg.groupJobs.toLocaleString('en')} jobs in 1,000 groups, 999 busy`, fn: 'groups.claim', params: { size: cfg.groupJobs, groups: 1000, grouped: true, claims: 200 }, warm: { size: 2000, groups: 100, grouped: true, claims: 20 }, metrics: [{ key: 'ms', unit: 'ms', better: 'lower' }, { key: 'p90', unit: 'ms', better: 'lower' }] },
        { id: 'claimPlain', label: `claim, ${cfg.groupJobs.toLocaleString('en')} jobs, 999 busy, no groups`, fn: 'groups.claim', params: { size: cfg.groupJobs, groups: 1000, grouped: false, claims: 200 }, warm: { size: 2000, groups: 100, grouped: false, claims: 20 }, metrics: [{ key: 'ms', unit: 'ms', better: 'lower' }, { key: 'p90', unit: 'ms', better: 'lower' }] },
        { id: 'e2eGroups', label: 'in-page e2e (c=8), every job in a group of its own', fn: 'groups.e2e', params: { jobs: cfg.e2eJobs, grouped: true }, warm: { jobs: 500, grouped: true }, metrics: [RATE] },
        { id: 'e2ePlain', label: 'in-page e2e (c=8), no groups', fn: 'groups.e2e', params: { jobs: cfg.e2eJobs, grouped: false }, warm: { jobs: 500, grouped: false }, metrics: [RATE] },
      ],
    },
    tail: {
      title: `tail: ${cfg.tailJobs.toLocaleString('en')} no-op jobs stored, then run in-page (concurrency 8): last tenth vs first tenth`,
      cases: [
        // One long run per repetition; the warm-up only compiles code and opens files.
        { id: 'page8', label: 'jobrail in-page, concurrency 8', fn: 'e2e.jobrail', params: { jobs: cfg.tailJobs, concurrency: 8 }, warm: { jobs: 1000, concurrency: 8 }, metrics: runMetrics },
      ],
    },
    layout: {
      title: `storage floor: ${n} no-op jobs, jobrail in-page (c=8) against its own requests on its own database without the library, and the one-store raw loop`,
      cases: [
        { id: 'page8', label: 'jobrail in-page, concurrency 8', fn: 'e2e.jobrail', params: { jobs: n, concurrency: 8 }, warm: warmE2e, metrics: runMetrics },
        { id: 'layout8', label: "jobrail's settle + claim requests, 8 per tx, no library", fn: 'layout.loop', params: { jobs: n, batch: 8, checks: false }, warm: { ...warmE2e, batch: 8, checks: false }, metrics: e2eMetrics },
        { id: 'layout8checks', label: '… and the claim checks jobrail makes', fn: 'layout.loop', params: { jobs: n, batch: 8, checks: true }, warm: { ...warmE2e, batch: 8, checks: true }, metrics: e2eMetrics },
        { id: 'raw8', label: 'raw one-store loop: claim 8 / complete 8 per tx', fn: 'e2e.raw', params: { jobs: n, batch: 8 }, warm: { ...warmE2e, batch: 8 }, metrics: e2eMetrics },
        { id: 'worker', label: 'jobrail 2 workers × concurrency 8', fn: 'e2e.jobrail', params: { jobs: n, concurrency: 8, workers: 2 }, warm: { ...warmE2e, concurrency: 8, workers: 2 }, metrics: runMetrics },
        { id: 'layout8workers', label: '… with checks, each batch shared by 2 plain workers, no library', fn: 'layout.loop', params: { jobs: n, batch: 8, checks: true, workers: 2 }, warm: { ...warmE2e, batch: 8, checks: true, workers: 2 }, metrics: e2eMetrics },
        // The floor of add and addBulk on jobrail's database, beside them and the raw puts.
        { id: 'add', label: 'jobrail add, awaited one at a time', fn: 'enqueue.addOne', params: { jobs: e }, metrics: [RATE] },
        { id: 'addFloor', label: "add's requests without the library: counter read, job put, counter put, one strict tx each", fn: 'layout.addFloor', params: { jobs: e, meta: true, bulk: false }, metrics: [RATE] },
        { id: 'addPut', label: '… the job put alone (into active, 3 index entries)', fn: 'layout.addFloor', params: { jobs: e, meta: false, bulk: false }, metrics: [RATE] },
        { id: 'rawPut', label: 'raw: one strict tx per put (one store, one index)', fn: 'enqueue.rawPutPerTx', params: { jobs: e }, metrics: [RATE] },
        { id: 'addBulk', label: `jobrail addBulk of ${e}`, fn: 'enqueue.addBulk', params: { jobs: e }, metrics: [RATE] },
        { id: 'bulkFloor', label: `addBulk's requests without the library: ${e} job puts and the counter, one strict tx`, fn: 'layout.addFloor', params: { jobs: e, meta: true, bulk: true }, metrics: [RATE] },
        { id: 'bulkPut', label: `… the ${e} job puts alone`, fn: 'layout.addFloor', params: { jobs: e, meta: false, bulk: true }, metrics: [RATE] },
        { id: 'rawBatch', label: `raw: ${e} puts in one strict tx`, fn: 'enqueue.rawOneTx', params: { jobs: e }, metrics: [RATE] },
      ],
    },
    diag: {
      title: `diagnostics (${cfg.diagJobs} jobs): transactions, requests and messages per job; variants`,
      cases: [
        { id: 'profile', label: 'IDB transactions / requests / messages', fn: 'diag.txProfile', params: { jobs: cfg.diagJobs }, metrics: 'all' },
        { id: 'variants', label: 'variants', fn: 'diag.variants', params: { jobs: cfg.diagJobs }, metrics: 'all' },
      ],
    },
  };
}

/** Targets: each a ratio of medians measured in this run. */
function targets(cfg) {
  const big = Math.max(...cfg.sizes);
  const small = Math.min(...cfg.sizes);
  return [
    // The limits of issue 16 (they replace 0.6×, 0.5×, 3× and 0.5× of the first core round).
    { id: 'add', label: 'add one-at-a-time ≥ 0.8× raw one-put-per-tx', a: 'enqueue.add.rate', b: 'enqueue.rawPut.rate', op: '>=', limit: 0.8 },
    { id: 'addBulk', label: 'addBulk ≥ 0.75× raw one-tx batch', a: 'enqueue.addBulk.rate', b: 'enqueue.rawBatch.rate', op: '>=', limit: 0.75 },
    { id: 'e2e-raw1', label: 'in-page e2e (c=8) ≥ 4× raw one-job loop', a: 'e2e.page8.rate', b: 'e2e.raw1.rate', op: '>=', limit: 4 },
    { id: 'e2e-raw8', label: 'in-page e2e (c=8) ≥ 1.5× raw 8-job loop', a: 'e2e.page8.rate', b: 'e2e.raw8.rate', op: '>=', limit: 1.5 },
    { id: 'e2e-raw16', label: 'in-page e2e (c=8) ≥ 0.7× raw 16-job loop', a: 'e2e.page8.rate', b: 'e2e.raw16.rate', op: '>=', limit: 0.7 },
    // Not a target: what the storage gives for twice the batch.
    { id: 'raw16-raw1', info: true, label: 'context: raw 16-job loop vs raw one-job loop', a: 'e2e.raw16.rate', b: 'e2e.raw1.rate' },
    { id: 'e2e-workbox', label: 'in-page e2e (c=8) ≥ 3× workbox push+shift per job', a: 'e2e.page8.rate', b: 'peers.workbox.perJobRate', op: '>=', limit: 3 },
    { id: 'worker', label: 'worker e2e (2×8) ≥ 0.85× in-page e2e (c=8)', a: 'e2e.worker.rate', b: 'e2e.page8.rate', op: '>=', limit: 0.85 },
    // What jobrail's code costs beyond its layout's requests, and what the layout costs beyond one store with one index.
    { id: 'layout-code', info: true, label: 'layout: jobrail in-page (c=8) vs its own requests without the library (with checks)', a: 'layout.page8.rate', b: 'layout.layout8checks.rate' },
    { id: 'layout-floor', info: true, label: "layout: jobrail's requests without the library (with checks) vs raw one-store 8-job loop", a: 'layout.layout8checks.rate', b: 'layout.raw8.rate' },
    { id: 'layout-workers', info: true, label: "layout: jobrail's requests without the library, batches in 2 plain workers vs in the page (both with checks)", a: 'layout.layout8workers.rate', b: 'layout.layout8checks.rate' },
    { id: 'layout-workers-code', info: true, label: 'layout: jobrail 2 workers × 8 vs the same requests and worker trips without the library', a: 'layout.worker.rate', b: 'layout.layout8workers.rate' },
    { id: 'layout-add-code', info: true, label: "layout: add vs its own requests without the library", a: 'layout.add.rate', b: 'layout.addFloor.rate' },
    { id: 'layout-add-floor', info: true, label: "layout: add's requests without the library vs raw one-put-per-tx", a: 'layout.addFloor.rate', b: 'layout.rawPut.rate' },
    { id: 'layout-add-put', info: true, label: "layout: add's job put alone (jobrail's record and indexes) vs raw one-put-per-tx", a: 'layout.addPut.rate', b: 'layout.rawPut.rate' },
    { id: 'layout-bulk-code', info: true, label: "layout: addBulk vs its own requests without the library", a: 'layout.addBulk.rate', b: 'layout.bulkFloor.rate' },
    { id: 'layout-bulk-floor', info: true, label: "layout: addBulk's requests without the library vs raw one-tx batch", a: 'layout.bulkFloor.rate', b: 'layout.rawBatch.rate' },
    { id: 'layout-bulk-put', info: true, label: "layout: addBulk's job puts alone vs raw one-tx batch", a: 'layout.bulkPut.rate', b: 'layout.rawBatch.rate' },
    { id: 'tail', label: `tail: last tenth of ${cfg.tailJobs.toLocaleString('en')} jobs ≥ 0.8× first tenth`, a: 'tail.page8.tailRate', b: 'tail.page8.headRate', op: '>=', limit: 0.8 },
    { id: 'latency', label: 'idle latency p50 (in-page) ≤ 3× raw put+claim', a: 'latency.page.p50', b: 'latency.raw.p50', op: '<=', limit: 3 },
    {
      id: 'scale',
      label: `scale: time at ${big.toLocaleString('en')} stored ≤ 1.5× time at ${small.toLocaleString('en')}`,
      a: `scale.n${big}.ms`,
      b: `scale.n${small}.ms`,
      op: '<=',
      limit: 1.5,
      skip: big === small ? 'needs two sizes' : undefined,
      caveat: big < 100000 ? `the target is set at 100,000; this run's largest size is ${big.toLocaleString('en')}` : undefined,
    },
    { id: 'groups-claim', label: 'claim with 999 of 1,000 groups busy ≤ 1.5× claim without groups', a: 'groups.claimGroups.ms', b: 'groups.claimPlain.ms', op: '<=', limit: 1.5 },
    { id: 'groups-e2e', label: 'e2e with a group per job ≥ 0.8× without groups', a: 'groups.e2eGroups.rate', b: 'groups.e2ePlain.rate', op: '>=', limit: 0.8 },
    { id: 'memory', label: `memory growth from ${cfg.memoryJobs.toLocaleString('en')} stored jobs ≤ 5 MB`, a: 'memory.heap.growthMB', op: '<=', limit: 5, unit: 'MB' },
    {
      id: 'longtasks',
      label: 'zero long tasks while jobs run in workers (any rep)',
      a: 'mainthread.workers.longTasks',
      op: '<=',
      limit: 0,
      unit: 'tasks',
      stat: 'max',
      control: 'mainthread.idle.longTasks',
    },
  ];
}

// ---------------------------------------------------------------- statistics & output

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function fmt(x) {
  if (x === undefined || Number.isNaN(x)) return 'n/a';
  const a = Math.abs(x);
  if (a >= 10000) return Math.round(x).toLocaleString('en');
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return x.toFixed(3);
}

/** A plain-text table; `right` lists the columns aligned right. */
function table(rows, headers, right = []) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => (right.includes(i) ? String(c).padStart(widths[i]) : String(c).padEnd(widths[i]))).join('  ').trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

// ---------------------------------------------------------------- machine

/** The commit measured, and whether src/ differs from it (other work in progress). */
function gitState() {
  const git = (...args) => execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    return { commit: git('rev-parse', '--short', 'HEAD'), srcDirty: git('status', '--porcelain', '--', 'src').length > 0 };
  } catch {
    return { commit: undefined, srcDirty: undefined };
  }
}

function chromiumVersion(exe) {
  if (!exe) return undefined;
  try {
    return execFileSync(exe, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 20_000 }).trim();
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------- main

// The e2e launch, plus what the memory scenario needs (precise heap figures and gc()).
const CHROMIUM_ARGS = [...chromiumArgs, '--enable-precise-memory-info', '--js-flags=--expose-gc'];

const CASE_TIMEOUT_MS = 10 * 60_000;

/** Scenarios an engine cannot measure, and why. */
const NOT_IN = {
  memory: { firefox: 'performance.memory and gc() exist only in Chromium', webkit: 'performance.memory and gc() exist only in Chromium' },
  mainthread: { firefox: "PerformanceObserver 'longtask' entries exist only in Chromium", webkit: "PerformanceObserver 'longtask' entries exist only in Chromium" },
};

/**
 * The browser a run measures, as a Playwright-like context (newPage, page.evaluate, …):
 * Chromium and Firefox through playwright-core, WebKitGTK through the e2e suite's WebDriver
 * adapter (loaded through Vite, which compiles its TypeScript).
 */
async function launch(cfg, server) {
  const { chromium, firefox } = await import('playwright-core');
  if (cfg.browser === 'webkit') {
    const { WebKitDriver } = await server.ssrLoadModule('/e2e/webkit/webdriver.ts');
    const { WdContext } = await server.ssrLoadModule('/e2e/webkit/page.ts');
    const driver = await WebKitDriver.start();
    const session = await driver.newSession();
    const address = server.httpServer?.address();
    const context = await WdContext.create(session, `http://127.0.0.1:${typeof address === 'object' && address ? address.port : cfg.port}`);
    const browserVersion = String(session.capabilities.browserVersion ?? '?');
    return {
      context,
      browserVersion,
      executablePath: '/usr/bin/WebKitWebDriver',
      label: `WebKitGTK ${browserVersion} (MiniBrowser)`,
      profile: 'ephemeral (WebKit automation sessions keep storage in memory)',
      close: async () => {
        await context.close();
        await driver.stop();
      },
    };
  }
  const firefoxOptions = firefoxLaunch();
  const type = cfg.browser === 'firefox' ? firefox : chromium;
  const executablePath = cfg.browser === 'firefox' ? firefoxPath() : chromiumPath();
  const launchOptions =
    cfg.browser === 'firefox'
      ? { ...firefoxOptions.launchOptions, channel: firefoxOptions.channel, headless: !cfg.headed }
      : { executablePath, args: CHROMIUM_ARGS, headless: !cfg.headed };
  let browser;
  let context;
  let profileDir;
  if (cfg.profile === 'disk') {
    // A persistent profile: IndexedDB lives on disk, so 'strict' durability really flushes.
    profileDir = mkdtempSync(path.join(os.tmpdir(), 'jobrail-bench-'));
    context = await type.launchPersistentContext(profileDir, launchOptions);
    browser = context.browser();
  } else {
    browser = await type.launch(launchOptions);
    context = await browser.newContext();
  }
  const browserVersion =
    browser?.version() ??
    (await (async () => {
      const p = await context.newPage();
      const ua = await p.evaluate(() => navigator.userAgent);
      await p.close();
      return ua.match(/(?:Chrome|Firefox)\/([\d.]+)/)?.[1];
    })());
  return {
    context,
    browserVersion,
    executablePath,
    label: cfg.browser === 'firefox' ? `Firefox ${browserVersion}` : (chromiumVersion(executablePath) ?? `Chromium ${browserVersion}`),
    profile: cfg.profile,
    close: async () => {
      await context.close();
      if (cfg.profile === 'memory') await browser.close();
      if (profileDir) rmSync(profileDir, { recursive: true, force: true });
    },
  };
}

async function main() {
  const cfg = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const log = (msg) => process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${msg}\n`);

  // Peers ship production builds; workbox strips its dev logging and asserts under it.
  process.env.NODE_ENV ??= 'production';
  const { createServer } = await import('vite');

  const server = await createServer({
    configFile: path.join(root, 'vite.config.ts'),
    root,
    logLevel: 'warn',
    clearScreen: false,
    // Own cache: never disturbs the deps another `vite` on this repo (demo, e2e) optimized.
    cacheDir: path.join(root, 'node_modules/.vite-bench'),
    server: { host: '127.0.0.1', port: cfg.port, strictPort: false, hmr: false, watch: null },
    optimizeDeps: {
      entries: ['bench/pages/*.html'],
      include: ['idb', 'comlink', 'p-queue', 'dexie', 'workbox-background-sync'],
    },
  });
  await server.listen();
  const address = server.httpServer?.address();
  const port = typeof address === 'object' && address ? address.port : cfg.port;
  const base = `http://127.0.0.1:${port}`;
  log(`vite dev server on ${base}`);

  const launched = await launch(cfg, server);
  const { context, browserVersion, executablePath } = launched;
  const machine = {
    date: new Date().toISOString(),
    nproc: os.availableParallelism?.() ?? os.cpus().length,
    cpu: os.cpus()[0]?.model,
    memGB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.release()}`,
    node: process.version,
    browser: cfg.browser,
    chromium: cfg.browser === 'chromium' ? (chromiumVersion(executablePath) ?? `Chromium ${browserVersion}`) : undefined,
    engine: launched.label,
    browserVersion,
    executablePath: executablePath ?? 'playwright bundled',
    profile: cfg.profile,
    ...gitState(),
    loadAverage: os.loadavg().map((x) => Number(x.toFixed(2))),
  };
  log(`${machine.engine}; ${machine.nproc} cores; profile ${launched.profile}`);

  const all = plan(cfg);
  const results = {}; // scenario → case → metric → number[]
  const failures = [];

  const openPage = async () => {
    const page = await context.newPage();
    page.on('pageerror', (e) => log(`page error: ${e.message}`));
    page.on('console', (m) => {
      if ((m.type() === 'error' || m.type() === 'warning') && !m.text().startsWith('Failed to load resource')) log(`console.${m.type()}: ${m.text()}`);
    });
    // (WebDriver classic, i.e. webkit, sees no responses.)
    if (cfg.browser !== 'webkit') {
      page.on('response', (r) => {
        if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) log(`HTTP ${r.status()} ${r.url()}`);
      });
    }
    await page.goto(`${base}/bench/pages/bench.html`);
    await page.waitForFunction(() => window.jobrailBench?.ready === true, null, { timeout: 60_000 });
    return page;
  };

  const call = async (page, fn, params) => {
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${fn} took over ${CASE_TIMEOUT_MS / 1000} s`)), CASE_TIMEOUT_MS);
    });
    try {
      return await Promise.race([page.evaluate(({ fn, params }) => window.jobrailBench.run(fn, params), { fn, params }), timeout]);
    } finally {
      clearTimeout(timer);
    }
  };

  // Warm the dev server (transforms, dependency optimisation) before anything is timed.
  {
    const page = await openPage();
    await page.evaluate(async () => {
      await Promise.all(['./noop.worker.ts', './workbox.sw.ts'].map((u) => fetch(new URL(u, location.href)).then((r) => r.text())));
    });
    await page.close();
  }

  const notes = [];
  for (const name of [...SCENARIOS, ...EXTRA]) {
    if (!cfg.only.includes(name)) continue;
    const scenario = all[name];
    const unsupported = NOT_IN[name]?.[cfg.browser];
    if (unsupported) {
      log(`${name}: not run in ${cfg.browser}: ${unsupported}`);
      notes.push({ scenario: name, case: '*', rep: -1, line: `not run in ${cfg.browser}: ${unsupported}` });
      continue;
    }
    log(`${name}: ${scenario.title}`);
    const page = await openPage();
    results[name] = {};
    try {
      // Repetition-major: every case once, then every case again, so slow drift of the
      // machine affects a target's two sides alike.
      for (let rep = -1; rep < cfg.reps; rep += 1) {
        for (const c of scenario.cases) {
          const t0 = Date.now();
          const tag = rep < 0 ? 'warm-up' : `rep ${rep + 1}/${cfg.reps}`;
          let m;
          try {
            m = await call(page, c.fn, rep < 0 && c.warm ? c.warm : c.params);
          } catch (error) {
            const message = String(error?.message ?? error).split('\n')[0];
            log(`  ${c.id} ${tag}: FAILED ${message}`);
            failures.push({ scenario: name, case: c.id, rep, error: message });
            continue;
          }
          const shownKeys = c.metrics === 'all' ? Object.keys(m) : c.metrics.map((k) => k.key);
          log(`  ${c.id} ${tag}: ${shownKeys.map((k) => `${k}=${fmt(m[k])}`).join(' ')} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
          const found = await page.evaluate(() => window.jobrailBench.takeNotes());
          if (rep === 0) for (const line of found) log(`    ${line}`);
          notes.push(...found.map((line) => ({ scenario: name, case: c.id, rep, line })));
          if (rep < 0) continue;
          const slot = (results[name][c.id] ??= {});
          for (const [k, v] of Object.entries(m)) (slot[k] ??= []).push(v);
        }
      }
      for (const c of scenario.cases) if (c.dispose) await call(page, c.dispose.fn, c.dispose.params).catch(() => undefined);
    } finally {
      await page.close();
    }
  }

  // ---- summary
  const summary = {};
  const rows = [];
  for (const name of [...SCENARIOS, ...EXTRA]) {
    if (!results[name]) continue;
    for (const c of all[name].cases) {
      const slot = results[name][c.id];
      if (!slot) continue;
      for (const [key, samples] of Object.entries(slot)) {
        const s = { median: median(samples), min: Math.min(...samples), max: Math.max(...samples), n: samples.length, samples };
        summary[`${name}.${c.id}.${key}`] = s;
        const spec = c.metrics === 'all' ? { key, unit: '' } : c.metrics.find((k) => k.key === key);
        if (!spec) continue;
        rows.push([name, c.label, key, fmt(s.median), `${fmt(s.min)}–${fmt(s.max)}`, spec.unit]);
      }
    }
  }

  const evaluated = targets(cfg).map((t) => {
    const a = summary[t.a];
    const b = t.b ? summary[t.b] : undefined;
    if (t.skip) return { ...t, status: 'SKIP', note: t.skip };
    if (!a || (t.b && !b)) return { ...t, status: 'SKIP', note: `not measured (${[!a && t.a, t.b && !b && t.b].filter(Boolean).join(', ')})` };
    const value = t.stat === 'max' ? a.max : a.median;
    const ratio = b ? value / b.median : value;
    if (t.info) return { ...t, ratio, value, base: b?.median, status: 'INFO', note: '' };
    const pass = t.op === '>=' ? ratio >= t.limit : ratio <= t.limit;
    const control = t.control ? summary[t.control] : undefined;
    const note = control ? `control (idle page): ${fmt(control.max)} max in ${control.n} reps${!pass && control.max > 0 ? ' — the machine itself produces long tasks' : ''}` : (t.caveat ?? '');
    return { ...t, ratio, value, base: b?.median, status: pass ? 'PASS' : 'FAIL', note };
  });

  const out = [];
  out.push('');
  out.push(`jobrail bench — ${machine.date} — ${machine.engine} — ${machine.nproc} cores — profile: ${launched.profile}${cfg.quick ? ' — QUICK' : ''}`);
  out.push(`commit ${machine.commit ?? '?'}${machine.srcDirty ? ' + uncommitted changes in src/' : ''}; load average at start ${machine.loadAverage.join(' ')}, at end ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  out.push(`${cfg.reps} measured repetitions per case after 1 warm-up; median and min–max`);
  out.push('');
  out.push(table(rows, ['scenario', 'case', 'metric', 'median', 'min–max', 'unit'], [3, 4]));
  out.push('');
  out.push('Targets (ratios of medians from this run)');
  out.push(
    table(
      evaluated.map((t) => {
        if (t.status === 'SKIP') return [t.status, t.label, '', '', '', t.note];
        if (t.status === 'INFO') return [t.status, t.label, `${fmt(t.ratio)}×`, `${fmt(t.value)} / ${fmt(t.base)}`, '', ''];
        const limit = `${t.op} ${t.limit}${t.b ? '×' : ` ${t.unit}`}`;
        return t.b ? [t.status, t.label, `${fmt(t.ratio)}×`, `${fmt(t.value)} / ${fmt(t.base)}`, limit, t.note ?? ''] : [t.status, t.label, `${fmt(t.ratio)} ${t.unit}`, '', limit, t.note ?? ''];
      }),
      ['status', 'target', 'measured', 'a / b (medians)', 'limit', 'note'],
      [2, 3],
    ),
  );
  if (failures.length > 0) {
    out.push('');
    out.push(`${failures.length} case run(s) failed: ${failures.map((f) => `${f.scenario}.${f.case}: ${f.error}`).join('; ')}`);
  }
  console.log(out.join('\n'));

  const outFile = cfg.out ?? path.join(root, 'bench/results', `bench-${machine.date.replace(/[:.]/g, '-')}${cfg.quick ? '-quick' : ''}.json`);
  mkdirSync(path.dirname(outFile), { recursive: true });
  writeFileSync(
    outFile,
    JSON.stringify({ machine, config: cfg, summary, notes, targets: evaluated.map(({ id, label, status, ratio, value, base, limit, op, note }) => ({ id, label, status, ratio, value, base, limit, op, note })), failures, elapsedMs: Date.now() - started }, null, 2),
  );
  log(`wrote ${path.relative(root, outFile)} — ${((Date.now() - started) / 1000).toFixed(0)} s in all`);

  await launched.close();
  await server.close();
  return failures.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
