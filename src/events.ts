import { report } from './errors.js';
import type { Job, JobEventName, QueueChange, QueueEventName } from './types.js';

/** What travels between tabs on a queue's BroadcastChannel. */
export type QueueMessage =
  | { kind: 'job'; event: JobEventName; job: Job }
  | { kind: 'drained' }
  /** New or newly ready work (add, retry, resume): idle runners should look again. */
  | { kind: 'wake' }
  | { kind: 'paused'; paused: boolean }
  /**
   * Jobs changed without a per-job event (`change`: retry, retryFailed, clean), or the
   * schedules changed (no `change`): views reload, runners re-read the schedules. Older
   * versions send neither field.
   */
  | { kind: 'changed'; change?: QueueChange };

/** Several messages posted as one (see `EventHub.emit`). */
interface Batch {
  kind: 'wake';
  batch: QueueMessage[];
}

type Listener = (arg?: Job | QueueChange) => void;

/** The part of BroadcastChannel the hub uses. */
export interface MessageChannelLike {
  onmessage: ((event: MessageEvent<QueueMessage>) => void) | null;
  postMessage(message: unknown): void;
  close(): void;
}

/**
 * Delivers queue messages to this tab's listeners and, through a BroadcastChannel, to every
 * other tab of the origin. A memory queue is private to its tab, so it gets no channel.
 */
export class EventHub {
  private readonly listeners = new Map<QueueEventName, Set<Listener>>();
  private readonly internal = new Set<(msg: QueueMessage) => void>();
  private unwatch: (() => void) | undefined;

  /**
   * `watch` (SQLite stores) notices writes of other processes, which no channel reaches; it
   * runs while jobrail's own parts listen (a runner, a `waitFor`), and delivers `changed` here.
   */
  constructor(
    private readonly channel: MessageChannelLike | undefined,
    private readonly watch?: (onChange: () => void) => () => void,
  ) {
    if (this.channel) this.channel.onmessage = (event: MessageEvent<QueueMessage | Batch>) => this.receive(event.data);
    // Node's BroadcastChannel would otherwise keep the process alive.
    (this.channel as { unref?: () => void } | undefined)?.unref?.();
  }

  private closed = false;

  /** Messages for the other tabs, emitted since the last post (see `emit`). */
  private outbox: QueueMessage[] = [];

  /**
   * Delivers here at once and in every other tab; nothing once the queue is closed. What one
   * synchronous run emits (an `addBulk`'s `added` events, a settle batch's outcomes) goes to
   * the other tabs as one message, posted in a microtask: one clone and one delivery for the
   * batch, in the order emitted, before the caller's code goes on.
   */
  emit(msg: QueueMessage): void {
    if (this.closed) return;
    this.deliver(msg);
    if (!this.channel) return;
    this.outbox.push(msg);
    if (this.outbox.length === 1) queueMicrotask(() => this.post());
  }

  private post(): void {
    const messages = this.outbox.splice(0);
    if (messages.length === 0) return;
    try {
      // A batch is a `wake` to versions before batches: their runners still look again.
      this.channel?.postMessage(messages.length === 1 ? messages[0] : ({ kind: 'wake', batch: messages } satisfies Batch));
    } catch (error) {
      report(error);
    }
  }

  private receive(msg: QueueMessage | Batch): void {
    if ('batch' in msg && Array.isArray(msg.batch)) for (const one of msg.batch) this.deliver(one);
    else this.deliver(msg);
  }

  on(event: QueueEventName, listener: Listener): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  /** For jobrail's own parts (runners, waitFor, dashboard): every message. */
  subscribe(fn: (msg: QueueMessage) => void): () => void {
    this.internal.add(fn);
    if (this.watch && !this.unwatch && !this.closed) this.unwatch = this.watch(() => this.deliver({ kind: 'changed' }));
    return () => {
      this.internal.delete(fn);
      if (this.internal.size === 0) this.stopWatch();
    };
  }

  private stopWatch(): void {
    this.unwatch?.();
    this.unwatch = undefined;
  }

  private deliver(msg: QueueMessage): void {
    for (const fn of [...this.internal]) {
      try {
        fn(msg);
      } catch (error) {
        report(error);
      }
    }
    const [name, arg] = publicEvent(msg);
    if (!name) return;
    for (const listener of [...(this.listeners.get(name) ?? [])]) {
      try {
        if (arg === undefined) listener();
        else listener(arg);
      } catch (error) {
        report(error);
      }
    }
  }

  close(): void {
    // What was emitted before the close still reaches the other tabs.
    this.post();
    this.closed = true;
    this.stopWatch();
    this.channel?.close();
    this.listeners.clear();
    this.internal.clear();
  }
}

/** The `queue.on` event a message stands for, with the listener's argument. */
function publicEvent(msg: QueueMessage): [QueueEventName | undefined, (Job | QueueChange)?] {
  switch (msg.kind) {
    case 'job':
      return [msg.event, msg.job];
    case 'drained':
      return ['drained'];
    case 'paused':
      return [msg.paused ? 'paused' : 'resumed'];
    case 'changed':
      // Schedule changes (and messages from older versions, which cannot tell) stay internal.
      return msg.change ? ['changed', { ...msg.change }] : [undefined];
    case 'wake':
      return [undefined];
  }
}
