/**
 * Errors for a worker that fails before its handshake, from what the browser reports: the
 * Worker's `error` event (a script that cannot load or throws while loading) or the
 * worker's own report of an unhandled rejection (see `STARTUP_FAILED` in protocol.ts).
 */
import { JobrailError } from './errors.js';
import type { SerializedError } from './types.js';

const CREATE = "new Worker(new URL('./jobs.worker.ts', import.meta.url), { type: 'module' })";

/** The error for the Worker's `error` event fired before the worker answered the pool. */
export function loadFailure(event: Event): JobrailError {
  const e = event as Partial<ErrorEvent>;
  const cause = e.error ?? event;
  if (typeof e.message !== 'string' || e.message === '') {
    // Browsers fire a bare Event, with no message, for a script they could not fetch or run.
    return new JobrailError(
      `The job worker script could not be loaded: the browser gave no details, as it does for a URL that answers 404 or another error, a failed download, or a response that is not JavaScript. Open the worker's URL in the browser to check it; with a bundler, create the worker as ${CREATE}.`,
      { cause },
    );
  }
  const message = e.message.replace(/^Uncaught /, '');
  const at = e.filename ? ` (at ${e.filename}${e.lineno ? `:${String(e.lineno)}${e.colno ? `:${String(e.colno)}` : ''}` : ''})` : '';
  if (/SyntaxError/.test(message) && /\b(import|export|module)\b/.test(message)) {
    return new JobrailError(
      `The job worker script failed to load: ${message}${at}. It is a module run as a classic worker: create the worker with { type: 'module' }, e.g. ${CREATE}.`,
      { cause },
    );
  }
  return new JobrailError(
    `The job worker threw while loading: ${message}${at}. Fix that error in the worker script: its top level must run through to serveHandlers() from 'jobrail/worker'.`,
    { cause },
  );
}

/** The error for the worker's own report of an unhandled rejection before its handshake. */
export function reportedFailure(error: SerializedError): JobrailError {
  const cause = new Error(error.message);
  cause.name = error.name;
  if (error.stack !== undefined) cause.stack = error.stack;
  return new JobrailError(
    `The job worker failed while starting: a promise rejected with nothing to handle it (${error.name}: ${error.message}) before the worker answered the pool. Fix or catch the failing set-up code in the worker script, and call serveHandlers() once it has succeeded.`,
    { cause },
  );
}
