import type { Environment } from '../environment.js';
import type { MessageChannelLike } from '../events.js';
import type { Engine } from './engine.js';

export const OPEN_STORE: unique symbol = Symbol.for('jobrail.store');

/** What a store object gives `openQueue` for one queue. */
export interface OpenedStore {
  engine: Engine;
  /** Carries events between queue objects of this store and name in this process. */
  channel: MessageChannelLike;
  /**
   * Calls `onChange` when another connection (another process) wrote to the store, until the
   * returned function is called. Absent where no other connection can write (Durable Objects).
   */
  watch?: (onChange: () => void) => () => void;
  /** Called when the queue closes. */
  release(): void;
}

/**
 * A durable store outside the browser, for `openQueue(name, { storage })`; made by
 * `sqliteStorage(db)` from `jobrail/sqlite`. Opaque: its only use is to be passed to openQueue.
 */
export interface QueueStore {
  /** What the store is (e.g. `'sqlite (node:sqlite)'`), for messages. */
  readonly kind: string;
  /** @internal */
  readonly [OPEN_STORE]: (queue: string, env: Environment) => Promise<OpenedStore>;
}

export const isQueueStore = (v: unknown): v is QueueStore =>
  typeof v === 'object' && v !== null && typeof (v as Partial<QueueStore>)[OPEN_STORE] === 'function';
