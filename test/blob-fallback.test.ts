/**
 * Blob and File data where IndexedDB refuses Blobs (WebKit's private mode, issue 12): the
 * refusal is simulated here the way WebKit words it; the real thing is tested in WebKit's
 * ephemeral session (e2e/storage.spec.ts).
 */
import { openDB } from 'idb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { JobrailError, startWorkers, type Job } from '../src/index.js';
import { openTest } from './helpers/queues.js';

const storeProto = (globalThis as unknown as { IDBObjectStore: { prototype: IDBObjectStore } }).IDBObjectStore.prototype;

function holdsBlob(v: unknown, seen = new Set<unknown>()): boolean {
  if (v instanceof Blob) return true;
  if (!v || typeof v !== 'object' || seen.has(v)) return false;
  seen.add(v);
  if (v instanceof Map) return [...v.values()].some((x) => holdsBlob(x, seen));
  return Object.values(v).some((x) => holdsBlob(x, seen));
}

/** IndexedDB as in WebKit's private mode: every put of a value holding a Blob is refused. */
function refuseBlobs(): { refused: () => number; scopes: string[][] } {
  let refused = 0;
  const scopes: string[][] = [];
  const realPut = storeProto.put;
  vi.spyOn(storeProto, 'put').mockImplementation(function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
    if (holdsBlob(value)) {
      refused += 1;
      scopes.push([...this.transaction.objectStoreNames]);
      throw new DOMException('Error preparing Blob/File data to be stored in object store', 'UnknownError');
    }
    return realPut.call(this, value, key);
  });
  return { refused: () => refused, scopes };
}

const describeBlob = async (b: unknown) => {
  const blob = b as Blob;
  return { blob: blob instanceof Blob, file: blob instanceof File, type: blob.type, text: await blob.text(), ...(blob instanceof File ? { name: blob.name, lastModified: blob.lastModified } : {}) };
};

const data = () => ({
  file: new File(['hello file'], 'note.txt', { type: 'text/plain', lastModified: 1_700_000_000_000 }),
  list: [new Blob([new Uint8Array([0, 1, 255])], { type: 'application/octet-stream' }), new Blob([])],
  map: new Map([['k', new Blob(['in a map'], { type: 'text/x-map' })]]),
  bytes: new Uint8Array([9, 8, 7]),
  when: new Date(1234),
});

async function seen(d: ReturnType<typeof data>) {
  return {
    file: await describeBlob(d.file),
    list: await Promise.all(d.list.map(describeBlob)),
    map: await describeBlob(d.map.get('k')),
    bytes: [...d.bytes],
    when: d.when.getTime(),
  };
}

describe('Blob and File data where IndexedDB refuses Blobs', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('stores their bytes, type, name and lastModified, and hands handler and get() Blobs and Files again', async () => {
    const fake = refuseBlobs();
    const { queue } = await openTest('indexeddb');
    const expected = await seen(data());
    const job = await queue.add('upload', data());
    // One refusal taught the queue: later writes store bytes straight away.
    expect(fake.refused()).toBe(1);
    expect(await seen((await queue.get(job.id))?.data as ReturnType<typeof data>)).toEqual(expected);

    let inHandler: unknown;
    const runner = startWorkers(queue, {
      handlers: {
        upload: async (d, ctx) => {
          inHandler = await seen(d as ReturnType<typeof data>);
          await ctx.progress({ preview: new Blob(['half'], { type: 'text/plain' }) });
          return new File(['made by the handler'], 'out.bin', { type: 'application/x-out', lastModified: 42 });
        },
      },
    });
    await queue.waitFor(job.id);
    await runner.stop();
    expect(inHandler).toEqual(expected);
    const done = (await queue.get(job.id)) as Job;
    expect(await describeBlob(done.result)).toEqual({ blob: true, file: true, type: 'application/x-out', text: 'made by the handler', name: 'out.bin', lastModified: 42 });
    expect(await describeBlob((done.progress as { preview: Blob }).preview)).toEqual({ blob: true, file: false, type: 'text/plain', text: 'half' });
    expect(await seen(done.data as ReturnType<typeof data>)).toEqual(expected);
    expect(fake.refused()).toBe(1);
  });

  it('asks with a lone put in a transaction of its own, never inside a real write (WebKit wedges a transaction whose Blob put fails beside an earlier request)', async () => {
    const fake = refuseBlobs();
    const { queue } = await openTest('indexeddb');
    await queue.add('plain', { n: 1 });
    expect(fake.refused()).toBe(0);
    const [a] = await Promise.all([queue.add('upload', { b: new Blob(['1']) }), queue.add('upload', { b: new Blob(['2']) })]);
    await queue.addBulk([{ name: 'upload', data: { b: new Blob(['3']) } }]);
    // Two adds at once still ask once; the refused put was the probe's, alone in meta.
    expect(fake.scopes).toEqual([['meta']]);
    expect(await (((await queue.get(a!.id))?.data as { b: Blob }).b.text())).toBe('1');
  });

  it('a second add, a bulk add and a Blob given as the whole data work the same way', async () => {
    refuseBlobs();
    const { queue } = await openTest('indexeddb');
    await queue.add('first', { b: new Blob(['1']) });
    const [a, b] = await queue.addBulk([
      { name: 'bare', data: new Blob(['whole'], { type: 'text/x-whole' }) },
      { name: 'plain', data: { n: 1 } },
    ]);
    expect(await describeBlob((await queue.get(a!.id))?.data)).toEqual({ blob: true, file: false, type: 'text/x-whole', text: 'whole' });
    expect((await queue.get(b!.id))?.data).toEqual({ n: 1 });
  });

  it('a bulk add of many jobs, each with Blobs of its own, is stored whole', async () => {
    const fake = refuseBlobs();
    const { queue } = await openTest('indexeddb');
    const jobs = await queue.addBulk(Array.from({ length: 12 }, (_, i) => ({ name: 'upload', data: { a: new Blob([`a${String(i)}`]), b: [new Blob([`b${String(i)}`])] } })));
    expect(jobs).toHaveLength(12);
    const texts = await Promise.all(
      jobs.map(async (job) => {
        const d = (await queue.get(job.id))?.data as { a: Blob; b: Blob[] };
        return `${await d.a.text()}/${await (d.b[0] as Blob).text()}`;
      }),
    );
    expect(texts).toEqual(Array.from({ length: 12 }, (_, i) => `a${String(i)}/b${String(i)}`));
    expect(fake.refused()).toBe(1);
  });

  it('keeps no Blob in the database: the stored payload holds the bytes', async () => {
    refuseBlobs();
    const { queue, name } = await openTest('indexeddb');
    const job = await queue.add('upload', { file: new Blob(['bytes!'], { type: 'text/plain' }) });
    vi.restoreAllMocks();
    const db = await openDB(`jobrail:${name}`);
    const raw = (await db.get('payloads', job.id)) as { data: { file: { bytes: ArrayBuffer; type: string } } };
    db.close();
    expect(raw.data.file.bytes).toBeInstanceOf(ArrayBuffer);
    expect(new TextDecoder().decode(raw.data.file.bytes)).toBe('bytes!');
    expect(raw.data.file.type).toBe('text/plain');
  });

  it('data that cannot be stored for another reason is still refused, nothing written', async () => {
    refuseBlobs();
    const { queue } = await openTest('indexeddb');
    const error = await queue.add('bad', { file: new Blob(['x']), fn: () => 1 } as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobrailError);
    expect((error as Error).message).toMatch(/cannot be stored/);
    expect(await queue.counts()).toMatchObject({ pending: 0 });
  });

  it('where Blobs are stored natively, nothing is converted', async () => {
    const put = vi.spyOn(storeProto, 'put');
    const { queue, name } = await openTest('indexeddb');
    const job = await queue.add('upload', { file: new Blob(['native']) });
    expect(put).toHaveBeenCalled();
    const db = await openDB(`jobrail:${name}`);
    const raw = (await db.get('payloads', job.id)) as { data: { file: unknown }; encoded?: unknown };
    db.close();
    expect(raw.data.file).toBeInstanceOf(Blob);
    expect(raw.encoded).toBeUndefined();
  });
});
