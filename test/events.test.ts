import { describe, expect, it } from 'vitest';
import { EventHub, type QueueMessage } from '../src/events.js';
import { LocalChannel } from '../src/local-channel.js';
import type { Job } from '../src/index.js';

let channels = 0;
/** Two hubs on one channel (two tabs), and a bare channel that sees what goes over the wire. */
function tabs() {
  const name = `events-test-${String(++channels)}`;
  const a = new EventHub(new LocalChannel(name));
  const b = new EventHub(new LocalChannel(name));
  const wire: unknown[] = [];
  const raw = new LocalChannel(name);
  raw.onmessage = (event) => wire.push(event.data);
  return { a, b, wire };
}

const job = (id: string) => ({ id, name: 'work', state: 'pending' }) as unknown as Job;
const added = (id: string): QueueMessage => ({ kind: 'job', event: 'added', job: job(id) });
/** Lets the posts and their deliveries (microtasks) run. */
const idOf = (arg: unknown): string => (arg as Job | undefined)?.id ?? '?';
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('events between tabs', () => {
  it('delivers what one synchronous run emits to the other tab one by one, in order, from one message', async () => {
    const { a, b, wire } = tabs();
    const seen: string[] = [];
    b.on('added', (j) => seen.push(idOf(j)));
    b.on('completed', (j) => seen.push(`done ${idOf(j)}`));
    a.emit(added('1'));
    a.emit(added('2'));
    a.emit({ kind: 'job', event: 'completed', job: { ...job('1'), state: 'completed' } as Job });
    await settle();
    expect(seen).toEqual(['1', '2', 'done 1']);
    expect(wire).toHaveLength(1);
    // A version before batches reads the batch as a wake: its runners still look again.
    expect(wire[0]).toMatchObject({ kind: 'wake', batch: [{ event: 'added' }, { event: 'added' }, { event: 'completed' }] });
  });

  it('posts a message emitted alone as it is, and delivers it in the sending tab at once', async () => {
    const { a, wire } = tabs();
    const here: string[] = [];
    a.on('added', (j) => here.push(idOf(j)));
    a.emit(added('7'));
    expect(here).toEqual(['7']);
    await settle();
    expect(wire).toEqual([added('7')]);
  });

  it('still sends what was emitted just before the queue closed', async () => {
    const { a, b } = tabs();
    const seen: string[] = [];
    b.on('added', (j) => seen.push(idOf(j)));
    a.emit(added('1'));
    a.emit(added('2'));
    a.close();
    await settle();
    expect(seen).toEqual(['1', '2']);
  });
});
