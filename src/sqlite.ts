/**
 * `jobrail/sqlite`: the durable store outside the browser. `sqliteStorage(db)` takes a
 * `node:sqlite` `DatabaseSync` (Node ≥ 22.5, Deno), a `bun:sqlite` `Database`, or a
 * Durable Object's `ctx.storage` (SQLite-backed class), and is passed to `openQueue`.
 */
import type { Environment } from './environment.js';
import { JobrailError } from './errors.js';
import { LocalChannel } from './local-channel.js';
import { jsonCodec, runtimeCodec, type Codec } from './store/codec.js';
import { OPEN_STORE, type OpenedStore, type OpenStore, type QueueStore } from './store/external.js';
import { JOBS_TABLE, KV_TABLE } from './store/sql-schema.js';
import { SqliteEngine, migrate, type Row, type SqlConnection, type SqlValue, type TxMode } from './store/sqlite.js';

export type { QueueStore } from './store/external.js';

/** The part of a `node:sqlite` `DatabaseSync` or a `bun:sqlite` `Database` that jobrail uses. */
export interface SyncSqliteDatabase {
  prepare(sql: string): { run(...params: never[]): unknown; all(...params: never[]): unknown[] };
  exec(sql: string): unknown;
}

/** The part of a Durable Object's `ctx.storage` (a SQLite-backed class) that jobrail uses. */
export interface DurableObjectStorageLike {
  sql: { exec(query: string, ...bindings: never[]): { toArray(): unknown[] } };
  transaction<T>(closure: (txn: never) => Promise<T>): Promise<T>;
  sync?(): Promise<void>;
  setAlarm(scheduledTime: number | Date): Promise<void>;
  deleteAlarm(): Promise<void>;
}

/** Options of `sqliteStorage`. */
export interface SqliteStorageOptions {
  /**
   * How often (ms) a queue in use looks for writes by other processes (`PRAGMA data_version`,
   * nearly free when nothing changed): a job added in another process starts within about this.
   * Not used in a Durable Object, where one instance alone writes. @default 250
   */
  pollInterval?: number;
  /**
   * How long a transaction waits for another process's write lock ("database is locked"),
   * retrying with backoff, before it fails. @default 60_000
   */
  lockTimeout?: number;
}

const isBusy = (error: unknown): boolean => /database is locked|SQLITE_BUSY|database table is locked/i.test(String((error as Error | undefined)?.message ?? error));

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs one transaction at a time on a connection: statements of two never interleave. */
class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

let memoryIds = 0;

type Statement = { run(...params: SqlValue[]): unknown; all(...params: SqlValue[]): Row[] };

/** node:sqlite or bun:sqlite: a synchronous connection shared with other processes through the file. */
class SyncConnection implements SqlConnection {
  readonly identity: string;
  private readonly statements = new Map<string, Statement>();
  private readonly mutex = new Mutex();
  private synchronous: string | undefined;

  constructor(
    private readonly db: SyncSqliteDatabase,
    readonly codec: Codec,
    private readonly lockTimeout: number,
  ) {
    const main = (this.all('PRAGMA database_list') as { name: string; file: string }[]).find((r) => r.name === 'main');
    this.identity = main?.file ? `file:${main.file}` : `memory:${String(++memoryIds)}`;
  }

  private stmt(sql: string): Statement {
    let s = this.statements.get(sql);
    if (!s) this.statements.set(sql, (s = this.db.prepare(sql) as unknown as Statement));
    return s;
  }

  all(sql: string, params: SqlValue[] = []): Row[] {
    return this.stmt(sql).all(...params);
  }

  run(sql: string, params: SqlValue[] = []): void {
    this.stmt(sql).run(...params);
  }

  /** Retries what another process's lock refused, backing off, up to `lockTimeout`. */
  async retryBusy(what: string, fn: () => void): Promise<void> {
    const start = Date.now();
    for (let attempt = 0; ; attempt++) {
      try {
        fn();
        return;
      } catch (error) {
        if (!isBusy(error)) throw error;
        if (Date.now() - start > this.lockTimeout) {
          throw new JobrailError(`The SQLite database stayed locked by another connection for ${String(this.lockTimeout)} ms while jobrail tried to ${what}: is a process holding a long transaction on it?`, { cause: error });
        }
        await sleep(Math.min(200, 2 * 2 ** attempt) * (0.5 + Math.random() / 2));
      }
    }
  }

  transaction<T>(mode: TxMode, body: () => Promise<T>): Promise<T> {
    return this.mutex.run(() => this.inTx(mode, body));
  }

  private async inTx<T>(mode: TxMode, body: () => Promise<T>): Promise<T> {
    {
      if (mode !== 'read') {
        // WAL with FULL syncs the log at each commit: the write survives an OS crash. NORMAL
        // syncs at checkpoints only, which can lose a transition (a re-run), never an add.
        const sync = mode === 'strict' ? 'FULL' : 'NORMAL';
        if (this.synchronous !== sync) {
          this.db.exec(`PRAGMA synchronous = ${sync}`);
          this.synchronous = sync;
        }
      }
      // IMMEDIATE takes the write lock up front: a deferred transaction that reads, then
      // writes, fails with "database is locked" when another process wrote in between.
      await this.retryBusy('begin a transaction', () => this.db.exec(mode === 'read' ? 'BEGIN' : 'BEGIN IMMEDIATE'));
      let result: T;
      try {
        result = await body();
      } catch (error) {
        this.db.exec('ROLLBACK');
        throw error;
      }
      try {
        await this.retryBusy('commit', () => this.db.exec('COMMIT'));
      } catch (error) {
        try {
          this.db.exec('ROLLBACK');
        } catch {
          // already rolled back by SQLite
        }
        throw error;
      }
      return result;
    }
  }

  dataVersion(): number {
    return Number(this.all('PRAGMA data_version')[0]?.data_version);
  }

  close(): void {
    this.statements.clear();
  }
}

/** A Durable Object's SQLite storage: one instance of the object alone writes it. */
class DurableObjectConnection implements SqlConnection {
  readonly codec = jsonCodec;
  readonly identity: string;
  private readonly mutex = new Mutex();
  private readonly queues = new Set<string>();
  private alarmQueued = false;
  /** The alarm this instance last set (undefined: none set yet by it). */
  private alarm: number | undefined | null = undefined;

  constructor(private readonly storage: DurableObjectStorageLike) {
    this.identity = `do:${String(++memoryIds)}`;
  }

  all(sql: string, params: SqlValue[] = []): Row[] {
    return this.storage.sql.exec(sql, ...(params as never[])).toArray() as Row[];
  }

  run(sql: string, params: SqlValue[] = []): void {
    this.storage.sql.exec(sql, ...(params as never[])).toArray();
  }

  transaction<T>(mode: TxMode, body: () => Promise<T>): Promise<T> {
    return this.mutex.run(async () => {
      if (mode === 'read') return body();
      // Rolls back every sql.exec of the body if it throws, across its awaits.
      const result = await this.storage.transaction(() => body());
      // The storage confirms the write durable (replicated) before `add` resolves.
      if (mode === 'strict') await this.storage.sync?.();
      return result;
    });
  }

  dataVersion(): undefined {
    return undefined;
  }

  register(queue: string): void {
    this.queues.add(queue);
  }

  afterWrite(): void {
    if (this.alarmQueued) return;
    this.alarmQueued = true;
    queueMicrotask(() => {
      this.alarmQueued = false;
      void this.keepAlarm().catch((error: unknown) => console.error(error));
    });
  }

  /**
   * Sets the object's alarm to its next moment of work, so an evicted or restarted object
   * comes back for it: the earliest delayed or backing-off job, an expiry, a running job's lease end
   * (its runner may be gone), a schedule's next tick, or soon while jobs wait to run.
   */
  private async keepAlarm(): Promise<void> {
    const now = Date.now();
    let next = Infinity;
    for (const queue of this.queues) next = Math.min(next, this.nextWork(queue, now));
    const want = Number.isFinite(next) ? Math.max(next, now + 1) : null;
    if (want === this.alarm) return;
    this.alarm = want;
    if (want === null) await this.storage.deleteAlarm();
    else await this.storage.setAlarm(want);
  }

  private nextWork(queue: string, now: number): number {
    const meta = (key: string): unknown => {
      const row = this.all(`SELECT value FROM ${KV_TABLE} WHERE queue = ? AND key = ?`, [queue, key])[0];
      return row ? this.codec.decode(row.value as string) : undefined;
    };
    let next = Infinity;
    for (const row of this.all(`SELECT head FROM ${JOBS_TABLE} WHERE queue = ? AND k_state_0 = 'processing'`, [queue])) {
      const leaseUntil = (this.codec.decode(row.head as string) as { leaseUntil?: number }).leaseUntil;
      next = Math.min(next, (leaseUntil ?? now) + 1);
    }
    if (meta('paused') === true) return next;
    const due = this.all(`SELECT min(k_due_0) AS t FROM ${JOBS_TABLE} WHERE queue = ? AND k_due_0 IS NOT NULL`, [queue])[0]?.t;
    if (typeof due === 'number') next = Math.min(next, due);
    const expiry = this.all(`SELECT min(k_expiry_0) AS t FROM ${JOBS_TABLE} WHERE queue = ? AND k_expiry_0 IS NOT NULL`, [queue])[0]?.t;
    if (typeof expiry === 'number') next = Math.min(next, expiry);
    // Runnable jobs: a live runner is on them; an evicted one comes back within a second.
    if (this.all(`SELECT 1 FROM ${JOBS_TABLE} WHERE queue = ? AND k_ready_0 IS NOT NULL LIMIT 1`, [queue]).length > 0) {
      next = Math.min(next, Math.ceil((now + 1000) / 1000) * 1000);
    }
    const schedules = meta('schedules') as Record<string, { nextRunAt: number | null }> | undefined;
    for (const s of Object.values(schedules ?? {})) if (typeof s.nextRunAt === 'number') next = Math.min(next, s.nextRunAt);
    return next;
  }

  close(): void {}
}

const isDurableObjectStorage = (db: unknown): db is DurableObjectStorageLike =>
  typeof (db as { sql?: { exec?: unknown } }).sql?.exec === 'function' && typeof (db as { transaction?: unknown }).transaction === 'function';

const isSyncDatabase = (db: unknown): db is SyncSqliteDatabase =>
  typeof (db as { prepare?: unknown }).prepare === 'function' && typeof (db as { exec?: unknown }).exec === 'function';

/**
 * The durable store of a queue outside the browser, on SQLite. jobrail creates and migrates
 * its own tables (`jobrail_*`) in the database and leaves the rest alone; several queues may
 * share one database, and several processes one file. It sets the database to WAL mode.
 * The database stays yours: jobrail never closes it.
 *
 * @example
 * import { DatabaseSync } from 'node:sqlite';
 * const queue = await openQueue('mail', { storage: sqliteStorage(new DatabaseSync('jobs.db')) });
 */
export function sqliteStorage(db: SyncSqliteDatabase | DurableObjectStorageLike, options: SqliteStorageOptions = {}): QueueStore {
  if (typeof db !== 'object' || db === null || (!isDurableObjectStorage(db) && !isSyncDatabase(db))) {
    throw new TypeError(`Expected \`db\` of sqliteStorage to be a node:sqlite DatabaseSync, a bun:sqlite Database or a Durable Object's ctx.storage, got ${db === null ? 'null' : typeof db}`);
  }
  const pollInterval = options.pollInterval ?? 250;
  const lockTimeout = options.lockTimeout ?? 60_000;
  if (!(pollInterval > 0) || !(lockTimeout >= 0)) throw new RangeError('Expected `pollInterval` > 0 and `lockTimeout` ≥ 0 (ms)');
  const durableObject = isDurableObjectStorage(db);
  if (durableObject && (db as { sql: unknown; kv?: unknown }).sql === undefined) {
    throw new JobrailError('This Durable Object has no SQL storage: declare its class in `new_sqlite_classes` of the wrangler migrations');
  }
  let ready: Promise<SqlConnection> | undefined;
  const connect = (): Promise<SqlConnection> =>
    (ready ??= (async () => {
      let conn: SqlConnection;
      if (durableObject) conn = new DurableObjectConnection(db);
      else {
        const sync = new SyncConnection(db, runtimeCodec(), lockTimeout);
        await sync.retryBusy('open the database', () => {
          sync.run('PRAGMA busy_timeout = 50');
          sync.all('PRAGMA journal_mode = WAL');
        });
        conn = sync;
      }
      await conn.transaction('strict', async () => migrate(conn));
      return conn;
    })().catch((error: unknown) => {
      ready = undefined;
      throw error instanceof JobrailError ? error : new JobrailError(`jobrail could not open its tables in the SQLite database (${String((error as Error).message)})`, { cause: error });
    }));
  const open: OpenStore = async (queue: string, env: Environment): Promise<OpenedStore> => {
    const conn = await connect();
    if (conn instanceof DurableObjectConnection) conn.register(queue);
    const engine = new SqliteEngine(conn, queue);
    const channel = new LocalChannel(`jobrail-sqlite:${conn.identity}:${queue}`);
    const watch =
      conn.dataVersion() === undefined
        ? undefined
        : (onChange: () => void) => {
            let last = conn.dataVersion();
            let timer: unknown;
            let stopped = false;
            const tick = () => {
              timer = env.setTimeout(() => {
                if (stopped) return;
                const now = conn.dataVersion();
                if (now !== last) {
                  last = now;
                  onChange();
                }
                tick();
              }, pollInterval);
            };
            tick();
            return () => {
              stopped = true;
              env.clearTimeout(timer);
            };
          };
    return { engine, channel, ...(watch ? { watch } : {}), release: () => engine.close() };
  };
  return { kind: durableObject ? 'sqlite (Durable Object storage)' : 'sqlite', [OPEN_STORE]: open };
}
