/**
 * The few WebDriver classic commands the WebKit adapter needs, over Node's fetch: WebKitGTK
 * has no Playwright protocol, only WebKitWebDriver, and a client library would add a
 * dependency for about ten HTTP calls.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const MINIBROWSER = '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';

export class WebDriverError extends Error {
  constructor(
    readonly command: string,
    readonly error: string,
    message: string,
  ) {
    super(`WebDriver ${command}: ${error}: ${message}`);
    this.name = 'WebDriverError';
  }
}

/** One WebDriver session: one MiniBrowser process, its windows, and ephemeral storage of its own. */
export class Session {
  constructor(
    readonly base: string,
    readonly id: string,
    readonly capabilities: Record<string, unknown>,
  ) {}

  async cmd<T = unknown>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
    return request<T>(`${this.base}/session/${this.id}${path}`, method, body);
  }

  delete(): Promise<unknown> {
    return request(`${this.base}/session/${this.id}`, 'DELETE');
  }
}

async function request<T>(url: string, method: string, body?: unknown): Promise<T> {
  const res = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json' },
    body: method === 'POST' ? JSON.stringify(body ?? {}) : undefined,
  });
  const text = await res.text();
  const parsed = (text ? JSON.parse(text) : {}) as { value?: unknown };
  const value = parsed.value as { error?: string; message?: string } | undefined;
  if (!res.ok || (value && typeof value === 'object' && typeof value.error === 'string')) {
    throw new WebDriverError(`${method} ${new URL(url).pathname}`, value?.error ?? String(res.status), value?.message ?? text);
  }
  return parsed.value as T;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts Xvfb on a display it picks itself (-displayfd: no clash with other runs) and returns ":N". */
async function startXvfb(): Promise<{ display: string; proc: ChildProcess }> {
  const proc = spawn('Xvfb', ['-displayfd', '1', '-screen', '0', '1280x900x24', '-nolisten', 'tcp'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const display = await new Promise<string>((resolve, reject) => {
    let out = '';
    proc.on('error', (e) => reject(new Error(`Xvfb did not start (apt-get install -y xvfb): ${e.message}`, { cause: e })));
    proc.on('exit', (code) => reject(new Error(`Xvfb exited with ${String(code)}`)));
    proc.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(`:${out.trim()}`);
    });
  });
  return { display, proc };
}

/**
 * A config directory (XDG_CONFIG_HOME) whose GTK style lets MiniBrowser's window shrink to a
 * phone's width: its toolbar's buttons and address field keep the window at least 447 px wide,
 * and page.setViewportSize(390 × …) must give a 390 px viewport. Web content is not styled by GTK.
 */
function gtkConfig(): string {
  const dir = mkdtempSync(join(tmpdir(), 'jobrail-webkit-'));
  mkdirSync(join(dir, 'gtk-3.0'));
  writeFileSync(join(dir, 'gtk-3.0', 'gtk.css'), '* { min-width: 0; min-height: 0; padding: 0; margin: 0; border-width: 0; }\n');
  return dir;
}

/** A running WebKitWebDriver (and the Xvfb display it draws on), ready to open sessions. */
export class WebKitDriver {
  private constructor(
    private readonly xvfb: ChildProcess,
    private readonly driver: ChildProcess,
    readonly base: string,
    readonly display: string,
    private readonly config: string,
  ) {}

  static async start(): Promise<WebKitDriver> {
    if (!existsSync(MINIBROWSER)) throw new Error(`WebKitGTK's MiniBrowser is missing at ${MINIBROWSER}: apt-get install -y webkit2gtk-driver`);
    const { display, proc: xvfb } = await startXvfb();
    const port = await freePort();
    const config = gtkConfig();
    const driver = spawn('WebKitWebDriver', [`--port=${String(port)}`, '--host=127.0.0.1'], {
      env: { ...process.env, DISPLAY: display, XDG_CONFIG_HOME: config },
      // JOBRAIL_WEBKIT_LOG=file keeps what the driver and MiniBrowser print (crashes, IndexedDB errors).
      stdio: process.env.JOBRAIL_WEBKIT_LOG ? ['ignore', openSync(process.env.JOBRAIL_WEBKIT_LOG, 'a'), openSync(process.env.JOBRAIL_WEBKIT_LOG, 'a')] : 'ignore',
    });
    driver.on('error', () => undefined);
    const base = `http://127.0.0.1:${String(port)}`;
    const until = Date.now() + 10_000;
    for (;;) {
      try {
        await request(`${base}/status`, 'GET');
        break;
      } catch (e) {
        if (driver.exitCode !== null || Date.now() > until) {
          xvfb.kill();
          throw new Error(`WebKitWebDriver did not start (apt-get install -y webkit2gtk-driver)`, { cause: e });
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    return new WebKitDriver(xvfb, driver, base, display, config);
  }

  async newSession(): Promise<Session> {
    const value = await request<{ sessionId: string; capabilities: Record<string, unknown> }>(`${this.base}/session`, 'POST', {
      capabilities: {
        alwaysMatch: {
          browserName: 'MiniBrowser',
          'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation'] },
          // evaluate() bounds its own waits; the test's timeout bounds the test.
          timeouts: { script: 600_000, pageLoad: 60_000, implicit: 0 },
        },
      },
    });
    return new Session(this.base, value.sessionId, value.capabilities);
  }

  async stop(): Promise<void> {
    this.driver.kill();
    this.xvfb.kill();
    rmSync(this.config, { recursive: true, force: true });
  }
}

