// A worker whose async set-up fails before it calls serveHandlers, leaving a rejection that
// nothing handles: the page gets no `error` event for it, so jobrail/worker reports it.
import { serveHandlers } from 'jobrail/worker';

async function loadConfig(): Promise<{ endpoint: string }> {
  await Promise.resolve();
  throw new Error('config endpoint answered 503');
}

void loadConfig().then((config) => serveHandlers({ work: () => config.endpoint }));
