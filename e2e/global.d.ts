import type { Job } from '../src/index.js';
import type { LogEntry, WorkData } from './pages/harness-handlers.js';

declare global {
  interface Window {
    h: {
      events: { event: string; id: string; state: string; t: number }[];
      startError?: string;
      open(name: string, options?: { noLocks?: boolean }): Promise<void>;
      start(options?: { mode?: 'page' | 'worker' | 'bad-worker'; workers?: number; concurrency?: number; maxCrashes?: number; leaseMs?: number; gracePeriod?: number }): Promise<void>;
      stop(): Promise<void>;
      add(data: WorkData, options?: Record<string, unknown>): Promise<Job>;
      addMany(n: number, data: WorkData, options?: Record<string, unknown>): Promise<string[]>;
      addJobs(specs: { data: WorkData; options?: Record<string, unknown> }[]): Promise<string[]>;
      list(filter?: { state?: string; limit?: number; offset?: number }): Promise<Job[]>;
      inFlight(): number;
      counts(): Promise<Record<string, number>>;
      get(id: string): Promise<Job | undefined>;
      remove(id: string): Promise<boolean>;
      pause(): Promise<void>;
      resume(): Promise<void>;
      waitFor(id: string): Promise<unknown>;
      log(): Promise<LogEntry[]>;
    };
  }
}
