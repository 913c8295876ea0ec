/**
 * The demo's job handlers. They run in Web Workers started by `startWorkers` in the page,
 * and talk to a *simulated* server: latency, failure rate and the network switch come from
 * the page's controls over a BroadcastChannel, so changes apply to jobs already queued.
 */
import { PermanentError, serveHandlers, type HandlerContext } from 'jobrail/worker';
import { DEFAULT_SERVER, SERVER_CHANNEL, isServerSettings, type DemoJobs, type ServerMessage, type ServerSettings, type Simulation } from './shared.js';

let server: ServerSettings = DEFAULT_SERVER;
let markKnown = () => {};
const known = new Promise<void>((resolve) => {
  markKnown = resolve;
});

const channel = new BroadcastChannel(SERVER_CHANNEL);
channel.onmessage = (event: MessageEvent<ServerMessage>) => {
  const msg = event.data;
  if (msg.type === 'settings' && isServerSettings(msg.settings)) {
    server = msg.settings;
    markKnown();
  }
};
// Any open tab of the demo answers with the current settings.
channel.postMessage({ type: 'query' } satisfies ServerMessage);

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** The current settings; the first job waits (briefly) for the page's answer. */
async function settings(signal: AbortSignal): Promise<ServerSettings> {
  await Promise.race([known, sleep(1000, signal)]);
  return server;
}

/**
 * One simulated HTTP round trip taking `share` of the configured latency. Offline, it fails
 * the way `fetch` does: with `TypeError('Failed to fetch')`, which jobrail recognises as a
 * network error for `requiresNetwork` jobs (they wait without using up retries).
 */
async function roundTrip(signal: AbortSignal, share = 1): Promise<void> {
  const s = await settings(signal);
  if (!s.online) {
    await sleep(20, signal);
    throw new TypeError('Failed to fetch');
  }
  await sleep(s.latency * share * (0.75 + Math.random() * 0.5), signal);
  // The switch may have been flipped while the request was in the air.
  if (!server.online) throw new TypeError('Failed to fetch');
}

/** The simulated server's answer once the request is through. */
function respond(what: string, sim: Simulation | undefined): void {
  if (sim?.reject) throw new PermanentError(`HTTP 422 Unprocessable Entity: the server rejected ${what} for good (simulated)`);
  if (Math.random() * 100 < server.failureRate) throw new Error(`HTTP 503 Service Unavailable while sending ${what} (simulated)`);
}

/** "Make the next job crash its worker": the first attempt closes the worker under the handler. */
async function maybeCrash(sim: Simulation | undefined, ctx: HandlerContext): Promise<void> {
  if (!sim?.crash || ctx.attempt > 1) return;
  self.close();
  // Never settles: the runner learns of the death from the worker's released Web Lock.
  await new Promise<never>(() => {});
}

function hex(buffer: ArrayBuffer): string {
  return [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

serveHandlers<DemoJobs>({
  async 'upload-photo'(data, ctx) {
    await maybeCrash(data.sim, ctx);
    // The Blob arrives intact from IndexedDB: hash it as the server would.
    const body = await data.photo.arrayBuffer();
    const sha256 = hex(await crypto.subtle.digest('SHA-256', body));
    const chunks = 3;
    for (let i = 1; i <= chunks; i++) {
      await roundTrip(ctx.signal, 1 / chunks);
      if (i < chunks) await ctx.progress(i / chunks);
    }
    respond(`photo ${data.filename}`, data.sim);
    return { url: `https://photos.example.com/${encodeURIComponent(data.album)}/${ctx.idempotencyKey}.png`, bytes: body.byteLength, sha256 };
  },

  async 'send-message'(data, ctx) {
    await maybeCrash(data.sim, ctx);
    await roundTrip(ctx.signal);
    respond(`the message to ${data.to}`, data.sim);
    // A message added with `dependsOn` its photo upload links the uploaded photo's URL.
    const photos = Object.values(ctx.dependencies).map((r) => (r as { url?: string }).url).filter((u): u is string => typeof u === 'string');
    return { messageId: ctx.idempotencyKey, deliveredAt: Date.now(), ...(photos.length > 0 && { photos }) };
  },

  async 'save-note'(data, ctx) {
    // Edits of one note share a group: this never runs before the previous edit was saved.
    await roundTrip(ctx.signal);
    respond(`edit ${String(data.version)} of note ${String(data.note)}`, undefined);
    return { note: data.note, version: data.version, savedAt: Date.now() };
  },
});
