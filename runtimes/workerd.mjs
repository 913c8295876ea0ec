// A jobrail queue in a Durable Object, in workerd through Miniflare (runtimes/workerd/worker.mjs,
// bundled with dist/). "Restarting the object" is disposing of Miniflare and starting a new
// one on the same persisted storage: the object's memory and timers are gone, its SQLite
// storage and alarm are kept, as when Cloudflare evicts or moves an object.
import { rmSync } from 'node:fs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function workerdTests(root, dir) {
  let script;
  const bundle = async () => {
    if (script) return script;
    const { rolldown } = await import(`${root}node_modules/rolldown/dist/index.mjs`);
    const build = await rolldown({ input: `${root}runtimes/workerd/worker.mjs`, external: [/^cloudflare:/], platform: 'browser', logLevel: 'silent' });
    script = (await build.generate({ format: 'esm', inlineDynamicImports: true })).output[0].code;
    return script;
  };
  let persists = 0;
  /** A fresh persisted storage, and a way to start the worker on it (again). */
  const storage = async () => {
    const code = await bundle();
    const { Miniflare: MF } = await import(`${root}runtimes/node_modules/miniflare/dist/src/index.js`);
    const persist = `${dir}/do-${String(++persists)}`;
    rmSync(persist, { recursive: true, force: true });
    return () => {
      const mf = new MF({
        modules: true,
        script: code,
        compatibilityDate: '2025-04-01',
        durableObjects: { QUEUE: { className: 'QueueObject', useSQLite: true } },
        durableObjectsPersist: persist,
        cf: false,
        log: undefined,
      });
      const call = async (path, body) => {
        const res = await mf.dispatchFetch(`http://do.test${path}`, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) });
        return res.json();
      };
      return { mf, call };
    };
  };
  return {
    async 'a delayed job runs by the object alarm after a restart, with no further request'() {
      const boot = await storage();
      const first = boot();
      const { job, alarm } = await first.call('/add', { data: { n: 1 }, options: { delay: 1500 } });
      if (alarm !== job.runAt) throw new Error(`expected the alarm set to the job's runAt ${String(job.runAt)}, got ${String(alarm)}`);
      await first.mf.dispose();
      const second = boot();
      await second.mf.ready;
      // No request now: only the alarm can bring the object back.
      const quiet = Date.now();
      await sleep(Math.max(0, job.runAt - Date.now()) + 1500);
      const state = await second.call('/state');
      await second.mf.dispose();
      const ran = state.log.find((l) => l.what === 'ran' && l.job === job.id);
      const adder = state.log[0].instance;
      if (!ran) throw new Error(`the delayed job did not run: ${JSON.stringify(state.log)}`);
      if (ran.instance === adder) throw new Error('the job ran in the instance that added it, not in a restarted one');
      if (!(ran.at >= job.runAt && ran.at < state.now - 100 && ran.at > quiet)) throw new Error(`expected it to run after its runAt and before the next request, ran at ${String(ran.at)}`);
      const completed = state.jobs.find((j) => j.id === job.id);
      if (completed?.state !== 'completed') throw new Error(`expected it completed, got ${JSON.stringify(completed)}`);
      return `ran ${String(ran.at - job.runAt)} ms after its runAt in a new instance woken by the alarm; alarm after: ${String(state.alarm)}`;
    },

    async 'a job running when the object restarts is taken over by the next instance (alarm at the lease end)'() {
      const boot = await storage();
      const first = boot();
      const { job } = await first.call('/add', { data: { hang: true } });
      for (let i = 0; i < 50; i++) {
        const s = await first.call('/state');
        if (s.log.some((l) => l.what === 'start')) break;
        await sleep(50);
      }
      const before = await first.call('/state');
      if (before.alarm === null) throw new Error('expected an alarm at the end of the running job\'s lease');
      await first.mf.dispose();
      const second = boot();
      await second.mf.ready;
      await sleep(Math.max(0, before.alarm - Date.now()) + 1500);
      const state = await second.call('/state');
      await second.mf.dispose();
      const finished = state.jobs.find((j) => j.id === job.id);
      const ran = state.log.find((l) => l.what === 'ran' && l.job === job.id);
      if (finished?.state !== 'completed' || finished.attempts !== 2 || !ran || ran.attempt !== 2) throw new Error(`expected the job completed by a second attempt, got ${JSON.stringify(finished)} / ${JSON.stringify(state.log)}`);
      if (!(ran.at < state.now - 100)) throw new Error('expected the takeover before the next request');
      return `attempt 1 cut off by the restart; attempt 2 ran ${String(ran.at - before.alarm)} ms after the lease-end alarm`;
    },

    async 'data round-trip in a Durable Object; functions and Blobs refused, nothing written'() {
      const boot = await storage();
      const one = boot();
      const res = await one.call('/roundtrip');
      await one.mf.dispose();
      if (!res.ok || res.refused !== 'JobrailError' || res.blob !== 'JobrailError' || res.written !== 0) throw new Error(JSON.stringify(res));
      return 'Date, Map, Set, ArrayBuffer, typed arrays, BigInt, NaN and -0 kept; a function and a Blob refused with a JobrailError';
    },
  };
}
