/**
 * Type tests (issue 15), checked by `npm run typecheck` (tsc over test/): a job map whose
 * entries give data and result types with `JobDef`, next to plain `name → data` entries.
 * Each `@ts-expect-error` line must fail to compile, or tsc reports the directive as unused.
 */
import { expectTypeOf } from 'vitest';
import { openQueue, startWorkers, type Job, type JobDef, type JobOf, type Queue } from '../src/index.js';
import { serveHandlers } from '../src/worker.js';
import { registerSyncHandler } from '../src/sw.js';

type Jobs = {
  upload: JobDef<{ url: string; body: Blob }, { etag: string | null }>;
  email: { to: string };
};

declare const queue: Queue<Jobs>;

export async function typed(): Promise<void> {
  const upload = await queue.add('upload', { url: '/a', body: new Blob() });
  expectTypeOf(upload).toEqualTypeOf<Job<{ url: string; body: Blob }, 'upload', { etag: string | null }>>();
  expectTypeOf(upload.result).toEqualTypeOf<{ etag: string | null } | undefined>();
  // @ts-expect-error: the data of a JobDef entry is its first type argument
  await queue.add('upload', { url: '/a' });
  // @ts-expect-error: no job named so
  await queue.add('uplaod', { url: '/a', body: new Blob() });

  const email = await queue.add('email', { to: 'a@b' });
  expectTypeOf(email.data).toEqualTypeOf<{ to: string }>();
  expectTypeOf(email.result).toEqualTypeOf<unknown>();

  // waitFor: typed from the job add returned, or by naming the job
  expectTypeOf(await queue.waitFor(upload)).toEqualTypeOf<{ etag: string | null }>();
  expectTypeOf(await queue.waitFor<'upload'>(upload.id, { timeout: 1000 })).toEqualTypeOf<{ etag: string | null }>();
  expectTypeOf(await queue.waitFor(email, { signal: AbortSignal.timeout(5) })).toEqualTypeOf<unknown>();

  // list: the name is checked against the map, and narrows the jobs
  const uploads = await queue.list({ name: 'upload', state: 'completed' });
  expectTypeOf(uploads).toEqualTypeOf<JobOf<Jobs, 'upload'>[]>();
  expectTypeOf(uploads[0]!.result).toEqualTypeOf<{ etag: string | null } | undefined>();
  // @ts-expect-error: a typo in the name is an error, not an empty list
  await queue.list({ name: 'uploads' });
  expectTypeOf(await queue.list()).toEqualTypeOf<JobOf<Jobs>[]>();

  // addBulk: each item's data is checked against its own name
  await queue.addBulk([
    { name: 'email', data: { to: 'x' } },
    { name: 'upload', data: { url: '/b', body: new Blob() } },
  ]);
  // @ts-expect-error: email data given to an upload
  await queue.addBulk([{ name: 'upload', data: { to: 'x' } }]);

  // events carry the typed snapshot
  queue.on('completed', (job) => {
    if (job.name === 'upload') expectTypeOf(job.result).toEqualTypeOf<{ etag: string | null } | undefined>();
    else expectTypeOf(job.data).toEqualTypeOf<{ to: string }>();
  });
}

export function handlers(): void {
  // Page handlers: data typed, return value checked against the result type.
  startWorkers(queue, {
    handlers: {
      upload: async ({ url, body }, ctx) => {
        expectTypeOf(url).toEqualTypeOf<string>();
        expectTypeOf(body).toEqualTypeOf<Blob>();
        expectTypeOf(ctx.job.data).toEqualTypeOf<{ url: string; body: Blob }>();
        return { etag: null };
      },
      email: (data) => data.to.length, // plain entry: any result
    },
  });
  // @ts-expect-error: upload must return { etag }
  startWorkers(queue, { handlers: { upload: async () => 42 } });

  // Worker handlers, with the same Jobs type shared between page and worker.
  serveHandlers<Jobs>({
    async upload({ url }) {
      return { etag: url };
    },
  });
  // @ts-expect-error: upload must return { etag }
  serveHandlers<Jobs>({ upload: () => 'done' });
  // @ts-expect-error: no job named so
  serveHandlers<Jobs>({ uplaod: () => ({ etag: null }) });

  registerSyncHandler<Jobs>({ queue: 'outbox', handlers: { upload: async () => ({ etag: 'x' }) } });
}

export async function untyped(): Promise<void> {
  // A queue without a job map takes any name and gives unknown data and results.
  const q = await openQueue('anything');
  const job = await q.add('whatever', { x: 1 });
  expectTypeOf(job.data).toEqualTypeOf<unknown>();
  expectTypeOf(await q.waitFor(job.id)).toEqualTypeOf<unknown>();
  await q.list({ name: 'any-name' });
  startWorkers(q, { handlers: { anything: (data) => data } });
  serveHandlers({ anything: async (data: unknown) => data });
}
