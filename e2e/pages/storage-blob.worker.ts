import { serveHandlers } from 'jobrail/worker';
import { describeBlobs } from './storage-describe.js';

serveHandlers({
  inspect: (data: unknown) => describeBlobs(data),
});
