import { serveHandlers } from 'jobrail/worker';

// Returns the idempotency key the handler got, so a test can compare keys across browsers.
serveHandlers({
  upload: (_data: unknown, ctx) => ctx.idempotencyKey,
});
