// A Durable Object that runs a jobrail queue, as the README shows, plus a log table and a few
// routes for runtimes/workerd.mjs to drive it. Bundled with jobrail's dist/ for Miniflare.
import { DurableObject } from 'cloudflare:workers';
import { openQueue, startWorkers } from '../../dist/index.js';
import { sqliteStorage } from '../../dist/sqlite.js';

export class QueueObject extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    // Tells the log lines of one instance of the object from those of the next (after a restart).
    this.instance = crypto.randomUUID();
    ctx.storage.sql.exec('CREATE TABLE IF NOT EXISTS test_log (at INTEGER, instance TEXT, what TEXT, job TEXT, attempt INTEGER)');
    this.log('constructed');
    this.ready = (async () => {
      const queue = await openQueue('jobs', { storage: sqliteStorage(ctx.storage) });
      startWorkers(queue, {
        leaseMs: 2000,
        handlers: {
          work: async (data, ctx) => {
            this.log("start", ctx.job.id, ctx.attempt);
            // `hang` on its first attempt: the object is restarted under it, and the job taken over.
            if (data.hang && ctx.attempt === 1) await new Promise(() => {});
            this.log("ran", ctx.job.id, ctx.attempt);
            return { echo: data };
          },
        },
      });
      return queue;
    })();
  }

  log(what, job = null, attempt = null) {
    this.ctx.storage.sql.exec('INSERT INTO test_log VALUES (?, ?, ?, ?, ?)', Date.now(), this.instance, what, job, attempt);
  }

  async alarm() {
    this.log('alarm');
    await this.ready;
  }

  async fetch(request) {
    const queue = await this.ready;
    const url = new URL(request.url);
    if (url.pathname === '/add') {
      const body = await request.json();
      try {
        const job = await queue.add('work', body.data, body.options);
        return Response.json({ job, alarm: await this.ctx.storage.getAlarm() });
      } catch (error) {
        return Response.json({ error: { name: error.name, message: error.message } });
      }
    }
    if (url.pathname === '/roundtrip') {
      const data = { date: new Date(5), map: new Map([['k', new Set([1, 2])]]), buf: new Uint8Array([1, 2, 3]).buffer, f64: new Float64Array([1.5, -0]), big: 12n, nested: { a: [undefined, null, NaN] } };
      const job = await queue.add('work', data);
      const back = (await queue.get(job.id)).data;
      const result = await queue.waitFor(job.id);
      const ok =
        back.date instanceof Date && back.date.getTime() === 5 &&
        back.map instanceof Map && back.map.get('k') instanceof Set && back.map.get('k').has(2) &&
        back.buf instanceof ArrayBuffer && new Uint8Array(back.buf)[2] === 3 &&
        back.f64 instanceof Float64Array && Object.is(back.f64[1], -0) && back.big === 12n &&
        Number.isNaN(back.nested.a[2]) && back.nested.a.length === 3 && 0 in back.nested.a &&
        result.echo.map.get('k').has(1);
      let refused;
      const before = (await queue.counts()).completed + (await queue.counts()).pending;
      try {
        await queue.add('work', { fn() {} });
      } catch (error) {
        refused = error.name;
      }
      let blob;
      try {
        await queue.add('work', { file: new Blob(['x']) });
      } catch (error) {
        blob = error.name;
      }
      const after = (await queue.counts()).completed + (await queue.counts()).pending;
      return Response.json({ ok, refused, blob, written: after - before });
    }
    if (url.pathname === '/state') {
      return Response.json({
        log: this.ctx.storage.sql.exec('SELECT * FROM test_log ORDER BY rowid').toArray(),
        jobs: await queue.list(),
        alarm: await this.ctx.storage.getAlarm(),
        now: Date.now(),
      });
    }
    return new Response('not found', { status: 404 });
  }
}

export default {
  fetch(request, env) {
    return env.QUEUE.get(env.QUEUE.idFromName('one')).fetch(request);
  },
};
