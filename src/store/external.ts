import type { Environment } from '../environment.js';
import type { MessageChannelLike } from '../events.js';
import type { Engine } from './engine.js';

import { OPEN_STORE } from './store-key.js';
import type { QueueStore } from '../types.js';

export { OPEN_STORE };
export type { QueueStore };

/** What a store object keeps under `OPEN_STORE`. */
export type OpenStore = (queue: string, env: Environment) => Promise<OpenedStore>;

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

export const isQueueStore = (v: unknown): v is QueueStore =>
  typeof v === 'object' && v !== null && typeof (v as Partial<QueueStore>)[OPEN_STORE] === 'function';
