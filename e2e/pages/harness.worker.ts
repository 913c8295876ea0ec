import { serveHandlers } from 'jobrail/worker';
import { handlers } from './harness-handlers.js';

serveHandlers(handlers);
