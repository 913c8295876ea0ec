/** Types and names shared by the demo page and its job worker. */

/** Knobs of the simulated server, set by the page's sliders and switch. */
export interface ServerSettings {
  /** Round-trip time of one simulated request, in ms. */
  latency: number;
  /** Share of requests that fail with an HTTP 503, 0–100. */
  failureRate: number;
  /** false: every request fails like `fetch` does offline, with `TypeError('Failed to fetch')`. */
  online: boolean;
}

export const DEFAULT_SERVER: ServerSettings = { latency: 300, failureRate: 10, online: true };

/** What a demo job can be told to do, for showing off failure handling. */
export interface Simulation {
  /** Crash the worker (self.close()) on the first attempt. */
  crash?: boolean;
  /** The server rejects it for good: the handler throws PermanentError. */
  reject?: boolean;
}

/** The demo's job map: job name → data. */
export type DemoJobs = {
  'upload-photo': { photo: Blob; filename: string; album: string; sim?: Simulation };
  'send-message': { to: string; text: string; sim?: Simulation };
  /** One edit of a note: edits of one note run in order (job option `group: 'note:<id>'`). */
  'save-note': { note: number; version: number; text: string };
};

/** Messages on the `jobrail-demo-server` BroadcastChannel. */
export type ServerMessage = { type: 'settings'; settings: ServerSettings } | { type: 'query' };

export const SERVER_CHANNEL = 'jobrail-demo-server';
export const QUEUE_NAME = 'outbox';

export function isServerSettings(value: unknown): value is ServerSettings {
  if (!value || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return typeof v.latency === 'number' && typeof v.failureRate === 'number' && typeof v.online === 'boolean';
}
