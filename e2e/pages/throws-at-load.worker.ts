// A worker whose set-up code throws before it calls serveHandlers: the runner must say why, at once.
import { serveHandlers } from 'jobrail/worker';

const config = (globalThis as { JOBS_CONFIG?: { endpoint: string } }).JOBS_CONFIG;
if (!config) throw new Error('JOBS_CONFIG is not set');
serveHandlers({ work: () => config.endpoint });
