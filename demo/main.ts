/**
 * The demo page: an offline-first outbox. Jobs are stored with jobrail, run in Web Workers
 * (./jobs.worker.ts) against a simulated server, and shown by <jobrail-dashboard>.
 */
import { openQueue, startWorkers, type BulkItem, type Runner } from 'jobrail';
import 'jobrail/dashboard';
import { DEFAULT_SERVER, QUEUE_NAME, SERVER_CHANNEL, isServerSettings, type DemoJobs, type ServerMessage, type ServerSettings, type Simulation } from './shared.js';

const SETTINGS_KEY = 'jobrail-demo-server';
const TAB_LOCK_PREFIX = 'jobrail-demo-tab:';

function byId<T extends HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`#${id} is missing from index.html`);
  return node as T;
}

const ui = {
  tabId: byId('tab-id'),
  runnerStatus: byId('runner-status'),
  inFlight: byId('in-flight'),
  inFlightUnit: byId('in-flight-unit'),
  tabCount: byId('tab-count'),
  compose: byId<HTMLFormElement>('compose'),
  messageFields: byId('message-fields'),
  photoFields: byId('photo-fields'),
  photoPreview: byId<HTMLImageElement>('photo-preview'),
  to: byId<HTMLInputElement>('to'),
  text: byId<HTMLInputElement>('text'),
  priority: byId<HTMLSelectElement>('priority'),
  addBulk: byId<HTMLButtonElement>('add-bulk'),
  addPhotoMessage: byId<HTMLButtonElement>('add-photo-message'),
  addNoteEdits: byId<HTMLButtonElement>('add-note-edits'),
  notesLog: byId<HTMLOListElement>('notes-log'),
  addCrash: byId<HTMLButtonElement>('add-crash'),
  addReject: byId<HTMLButtonElement>('add-reject'),
  status: byId('status'),
  latency: byId<HTMLInputElement>('latency'),
  latencyOut: byId<HTMLOutputElement>('latency-out'),
  failure: byId<HTMLInputElement>('failure-rate'),
  failureOut: byId<HTMLOutputElement>('failure-out'),
  network: byId<HTMLInputElement>('network'),
  browserOnline: byId('browser-online'),
  dashboard: byId<HTMLElementTagNameMap['jobrail-dashboard']>('dashboard'),
};

function say(text: string): void {
  ui.status.textContent = text;
}

// ---- the simulated server's knobs, shared with every tab and every worker ----------------

function loadSettings(): ServerSettings {
  try {
    const stored: unknown = JSON.parse(localStorage.getItem(SETTINGS_KEY) ?? 'null');
    if (isServerSettings(stored)) return stored;
  } catch {
    // ignore a corrupt entry
  }
  return { ...DEFAULT_SERVER };
}

let server = loadSettings();
const serverChannel = new BroadcastChannel(SERVER_CHANNEL);

function renderServer(): void {
  ui.latency.value = String(server.latency);
  ui.latencyOut.value = `${String(server.latency)} ms`;
  ui.failure.value = String(server.failureRate);
  ui.failureOut.value = `${String(server.failureRate)} %`;
  ui.network.checked = server.online;
  document.body.dataset.network = server.online ? 'online' : 'offline';
}

function publishServer(): void {
  serverChannel.postMessage({ type: 'settings', settings: server } satisfies ServerMessage);
}

function setServer(patch: Partial<ServerSettings>): void {
  server = { ...server, ...patch };
  localStorage.setItem(SETTINGS_KEY, JSON.stringify(server));
  renderServer();
  publishServer();
}

serverChannel.onmessage = (event: MessageEvent<ServerMessage>) => {
  const msg = event.data;
  if (msg.type === 'query') publishServer();
  else if (msg.type === 'settings' && isServerSettings(msg.settings)) {
    // Another tab moved a slider.
    server = msg.settings;
    renderServer();
  }
};
ui.latency.addEventListener('input', () => setServer({ latency: Number(ui.latency.value) }));
ui.failure.addEventListener('input', () => setServer({ failureRate: Number(ui.failure.value) }));
ui.network.addEventListener('change', () => setServer({ online: ui.network.checked }));
renderServer();
publishServer();

function renderBrowserOnline(): void {
  ui.browserOnline.textContent = navigator.onLine
    ? 'The browser itself reports: online.'
    : 'The browser itself reports: offline. jobrail holds requiresNetwork jobs until it reconnects.';
}
window.addEventListener('online', renderBrowserOnline);
window.addEventListener('offline', renderBrowserOnline);
renderBrowserOnline();

// ---- photos: small PNGs drawn in the page ------------------------------------------------

let photoCount = 0;

function drawPhoto(n: number): Promise<Blob> {
  const canvas = document.createElement('canvas');
  canvas.width = 160;
  canvas.height = 120;
  const g = canvas.getContext('2d');
  if (!g) return Promise.resolve(new Blob([new Uint8Array(2048)], { type: 'application/octet-stream' }));
  const hue = (n * 47) % 360;
  const sky = g.createLinearGradient(0, 0, 0, 120);
  sky.addColorStop(0, `hsl(${String(hue)} 70% 70%)`);
  sky.addColorStop(1, `hsl(${String((hue + 40) % 360)} 60% 40%)`);
  g.fillStyle = sky;
  g.fillRect(0, 0, 160, 120);
  g.fillStyle = `hsl(${String((hue + 180) % 360)} 50% 25%)`;
  g.beginPath();
  g.moveTo(0, 120);
  g.lineTo(55, 60);
  g.lineTo(90, 95);
  g.lineTo(120, 70);
  g.lineTo(160, 120);
  g.fill();
  g.fillStyle = 'rgba(255,255,255,0.9)';
  g.font = 'bold 18px system-ui, sans-serif';
  g.fillText(`#${String(n)}`, 10, 26);
  return new Promise((resolve, reject) => canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('canvas.toBlob failed'))), 'image/png'));
}

let previewUrl: string | undefined;
function showPreview(blob: Blob): void {
  if (previewUrl) URL.revokeObjectURL(previewUrl);
  previewUrl = URL.createObjectURL(blob);
  ui.photoPreview.src = previewUrl;
  ui.photoPreview.alt = 'The last photo queued';
  ui.photoPreview.hidden = false;
}

async function newPhoto(sim?: Simulation): Promise<DemoJobs['upload-photo']> {
  photoCount += 1;
  const n = photoCount;
  const photo = await drawPhoto(n);
  return { photo, filename: `IMG_${String(1000 + n)}.png`, album: 'holidays', ...(sim && { sim }) };
}

// ---- the queue, its runner, and the dashboard --------------------------------------------

const tabId = crypto.randomUUID().slice(0, 4);
ui.tabId.textContent = tabId;
document.title = `jobrail demo (tab ${tabId})`;

const queue = await openQueue<DemoJobs>(QUEUE_NAME, {
  defaults: {
    retries: 3,
    // Short waits so the demo (and its tests) move quickly: 0.3 s, 0.6 s, 1.2 s (with jitter).
    backoff: { type: 'exponential', delay: 300, maxDelay: 10_000 },
    requiresNetwork: true,
    timeout: 30_000,
  },
});
ui.dashboard.queue = queue;

const runner: Runner = startWorkers(queue, {
  worker: () => new Worker(new URL('./jobs.worker.ts', import.meta.url), { type: 'module', name: 'jobrail-demo-worker' }),
  workers: 2,
  concurrency: 4,
});
runner.ready.then(
  () => {
    ui.runnerStatus.textContent = '2 workers, up to 4 jobs at once across all tabs';
  },
  (error: unknown) => {
    ui.runnerStatus.textContent = `failed to start: ${error instanceof Error ? error.message : String(error)}`;
  },
);

// How many jobs this tab is running: `runner.inFlight`, re-read when any tab reports a change.
let inFlightTimer: ReturnType<typeof setTimeout> | undefined;
function renderInFlight(): void {
  inFlightTimer = undefined;
  const n = runner.inFlight;
  ui.inFlight.textContent = String(n);
  ui.inFlightUnit.textContent = n === 1 ? 'job' : 'jobs';
}
function scheduleInFlight(): void {
  inFlightTimer ??= setTimeout(renderInFlight, 100);
}
for (const event of ['active', 'completed', 'retrying', 'failed', 'removed'] as const) queue.on(event, scheduleInFlight);
setInterval(renderInFlight, 1000);

// Open tabs: each holds a Web Lock named after it for as long as it lives.
async function renderTabs(): Promise<void> {
  const locks = navigator.locks;
  if (!locks) return;
  const snapshot = await locks.query();
  const tabs = new Set<string>();
  for (const lock of [...(snapshot.held ?? []), ...(snapshot.pending ?? [])]) {
    if (lock.name?.startsWith(TAB_LOCK_PREFIX)) tabs.add(lock.name);
  }
  const n = Math.max(1, tabs.size);
  ui.tabCount.textContent = n === 1 ? '1 (just this one)' : `${String(n)}: they share the work`;
}
if (navigator.locks) {
  void navigator.locks.request(TAB_LOCK_PREFIX + tabId, () => new Promise<never>(() => {}));
  setInterval(() => void renderTabs(), 1000);
  void renderTabs();
}

// ---- adding jobs ---------------------------------------------------------------------------

function kind(): keyof DemoJobs {
  const checked = ui.compose.querySelector<HTMLInputElement>('input[name="kind"]:checked');
  return checked?.value === 'upload-photo' ? 'upload-photo' : 'send-message';
}

function renderKind(): void {
  const photo = kind() === 'upload-photo';
  ui.photoFields.hidden = !photo;
  ui.messageFields.hidden = photo;
  ui.to.required = !photo;
}
ui.compose.addEventListener('change', renderKind);
renderKind();

async function guarded(button: HTMLButtonElement | null, fn: () => Promise<string>): Promise<void> {
  if (button) button.disabled = true;
  try {
    say(await fn());
  } catch (error) {
    say(`Could not add: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    if (button) button.disabled = false;
  }
}

const PRIORITY_NAMES: Record<string, string> = { '10': 'urgent', '5': 'high', '0': 'normal', '-5': 'low' };

ui.compose.addEventListener('submit', (event) => {
  event.preventDefault();
  const priority = Number(ui.priority.value);
  const label = PRIORITY_NAMES[ui.priority.value] ?? String(priority);
  void guarded(byId<HTMLButtonElement>('add-one'), async () => {
    if (kind() === 'upload-photo') {
      const data = await newPhoto();
      showPreview(data.photo);
      await queue.add('upload-photo', data, { priority });
      return `Queued photo ${data.filename} (${label} priority).`;
    }
    const to = ui.to.value.trim() || 'ada@example.com';
    await queue.add('send-message', { to, text: ui.text.value }, { priority });
    return `Queued a message to ${to} (${label} priority).`;
  });
});

const PEOPLE = ['ada', 'grace', 'alan', 'edsger', 'barbara', 'ken', 'margaret', 'linus', 'donald', 'radia'];

ui.addBulk.addEventListener('click', () => {
  void guarded(ui.addBulk, async () => {
    const started = performance.now();
    // A handful of distinct photos, reused: drawing 500 canvases would only slow the demo down.
    const photos = await Promise.all(Array.from({ length: 8 }, () => newPhoto()));
    const items: BulkItem<DemoJobs>[] = [];
    for (let i = 0; i < 1000; i++) {
      if (i % 2 === 0) {
        const p = photos[(i / 2) % photos.length] as DemoJobs['upload-photo'];
        items.push({ name: 'upload-photo', data: { ...p, filename: `IMG_${String(5000 + i)}.png` } });
      } else {
        const who = PEOPLE[i % PEOPLE.length] as string;
        items.push({ name: 'send-message', data: { to: `${who}@example.com`, text: `Bulk message ${String(i)}` } });
      }
    }
    await queue.addBulk(items);
    return `Queued 1,000 jobs in one transaction (${String(Math.round(performance.now() - started))} ms).`;
  });
});

ui.addCrash.addEventListener('click', () => {
  void guarded(ui.addCrash, async () => {
    // Top priority, so it is the next job to start.
    await queue.add('send-message', { to: 'crash@example.com', text: 'This one crashes its worker on the first attempt', sim: { crash: true } }, { priority: 100 });
    return 'Queued a job that crashes its worker on its first attempt: the pool replaces the worker and the job runs again.';
  });
});

ui.addReject.addEventListener('click', () => {
  void guarded(ui.addReject, async () => {
    await queue.add('send-message', { to: 'nobody@invalid', text: 'The server refuses this one for good', sim: { reject: true } }, { priority: 100 });
    return 'Queued a job the server rejects: it throws PermanentError and goes straight to the dead-letter store.';
  });
});

// ---- order and dependencies -----------------------------------------------------------------

ui.addPhotoMessage.addEventListener('click', () => {
  void guarded(ui.addPhotoMessage, async () => {
    const photo = await newPhoto();
    showPreview(photo.photo);
    const to = ui.to.value.trim() || 'ada@example.com';
    // One transaction; item 1 names item 0 by its index.
    const [upload, message] = await queue.addBulk([
      { name: 'upload-photo', data: photo },
      { name: 'send-message', data: { to, text: `Here is ${photo.filename}` }, options: { dependsOn: [0] } },
    ]);
    return `Queued photo ${photo.filename} (job ${upload?.id ?? '?'}) and a message to ${to} (job ${message?.id ?? '?'}) that waits for it and links its URL.`;
  });
});

let noteCount = 0;
ui.addNoteEdits.addEventListener('click', () => {
  void guarded(ui.addNoteEdits, async () => {
    noteCount += 1;
    const note = Number(`${String(Date.now() % 1000)}${String(noteCount)}`);
    const group = `note:${String(note)}`;
    await queue.addBulk(
      [1, 2, 3].map((version) => ({ name: 'save-note' as const, data: { note, version, text: `Note ${String(note)}, edit ${String(version)}` }, options: { group } })),
    );
    return `Queued 3 edits of note ${String(note)} in group "${group}": they are saved in order, one at a time.`;
  });
});

// Saved edits, in the order the (simulated) server got them: each note's edits read 1, 2, 3.
queue.on('completed', (job) => {
  if (job.name !== 'save-note') return;
  const { note, version } = job.data as DemoJobs['save-note'];
  const item = document.createElement('li');
  item.textContent = `note ${String(note)}: edit ${String(version)} saved`;
  item.dataset.note = String(note);
  item.dataset.version = String(version);
  ui.notesLog.prepend(item);
  while (ui.notesLog.children.length > 12) ui.notesLog.lastElementChild?.remove();
});

// For poking at it from the console: `jobrailDemo.queue.counts()`.
Object.assign(window, { jobrailDemo: { queue, runner, tabId } });
