/**
 * The handle jobrail's own parts (runners, schedules, the service-worker drain) hold on an
 * open queue. In a module of its own so that they need not import `queue.ts`, which imports
 * them (no import cycles).
 */
import type { Environment } from './environment.js';
import type { EventHub } from './events.js';
import type { Engine } from './store/engine.js';
import type { BackoffFunction, BackoffStrategy } from './types.js';

/** What jobrail's runner and dashboard need from a queue; not part of the public API. */
export interface QueueInternals {
  readonly name: string;
  readonly engine: Engine;
  readonly hub: EventHub;
  readonly env: Environment;
  readonly backoffFns: Map<string, BackoffFunction>;
  readonly defaultBackoffFn: BackoffFunction | undefined;
  /** Named backoff strategies: openQueue's, and those of every runner started on this queue object. */
  readonly backoffStrategies: Map<string, BackoffStrategy>;
  /** Things to stop when the queue closes (runners). */
  readonly closers: Set<() => Promise<void>>;
  assertOpen(): void;
}

export const INTERNALS: unique symbol = Symbol.for('jobrail.internals');
