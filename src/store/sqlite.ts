import { JobrailError } from '../errors.js';
import type { Codec, Encoded } from './codec.js';
import type { Direction, Engine, Key, Range, Tx } from './engine.js';
import { withKeys, type JobRecord } from './record.js';
import type { IndexName } from './schema.js';
import { COLUMN_INDEXES, JOBS_TABLE, KV_TABLE, META_TABLE, MULTI_INDEXES, MULTI_TABLE, SQLITE_SCHEMA_VERSION, SQL_INDEX, keyColumns, keyOf, multiKeys, orderBy, rangeWhere, type SqlIndex } from './sql-schema.js';

export type SqlValue = null | number | string | Uint8Array;
export type Row = Record<string, unknown>;
export type TxMode = 'read' | 'relaxed' | 'strict';

/**
 * One SQLite connection as jobrail uses it (node:sqlite, bun:sqlite or a Durable Object's
 * storage): synchronous statements, and transactions that run one at a time.
 */
export interface SqlConnection {
  readonly codec: Codec;
  /** Names the database: connections to one file give the same value (in-process events). */
  readonly identity: string;
  all(sql: string, params?: SqlValue[]): Row[];
  run(sql: string, params?: SqlValue[]): void;
  /**
   * Runs `body` in one transaction, never interleaved with another on this connection. A
   * `strict` write resolves once it is on disk; `relaxed` may be lost by an OS crash.
   */
  transaction<T>(mode: TxMode, body: () => Promise<T>): Promise<T>;
  /** A number that changes when another connection commits, or undefined where there is none (one connection only). */
  dataVersion(): number | undefined;
  /** Called after a write transaction of `queue` committed (Durable Objects keep their alarm with it). */
  afterWrite?(queue: string): void;
  close(): void;
}

/** Creates or brings jobrail's tables up to date; run in one write transaction at open. */
export function migrate(conn: SqlConnection): void {
  conn.run(`CREATE TABLE IF NOT EXISTS ${META_TABLE} (key TEXT PRIMARY KEY NOT NULL, value)`);
  const version = Number(conn.all(`SELECT value FROM ${META_TABLE} WHERE key = 'schema'`)[0]?.value ?? 0);
  if (version > SQLITE_SCHEMA_VERSION) {
    throw new JobrailError(`The database was written by a newer jobrail (SQLite schema ${String(version)}, this code knows ${String(SQLITE_SCHEMA_VERSION)}): upgrade jobrail to open it.`);
  }
  const codec = conn.all(`SELECT value FROM ${META_TABLE} WHERE key = 'codec'`)[0]?.value as string | undefined;
  if (codec !== undefined && codec !== conn.codec.name) {
    throw new JobrailError(`The database's job data was written in the format "${codec}", and this runtime writes "${conn.codec.name}" (Node and Deno share one, Bun and Durable Objects have their own): open it from the runtime that created it.`);
  }
  if (version < 1) {
    conn.run(`CREATE TABLE IF NOT EXISTS ${JOBS_TABLE} (queue TEXT NOT NULL, id TEXT NOT NULL, head BLOB NOT NULL, data BLOB, inline INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (queue, id))`);
    conn.run(`CREATE TABLE IF NOT EXISTS ${KV_TABLE} (queue TEXT NOT NULL, key TEXT NOT NULL, value BLOB, PRIMARY KEY (queue, key))`);
  }
  reconcileIndexes(conn);
  conn.run(`INSERT INTO ${META_TABLE} (key, value) VALUES ('schema', ?), ('codec', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [SQLITE_SCHEMA_VERSION, conn.codec.name]);
}

/**
 * Gives the jobs table a column per key part and an index for every entry of `SQL_INDEXES`
 * that it lacks, filling new columns from the stored records: adding an index is one line in
 * `sql-schema.ts`, with no migration step to write.
 */
function reconcileIndexes(conn: SqlConnection): void {
  const have = new Set(conn.all(`PRAGMA table_info(${JOBS_TABLE})`).map((r) => r.name as string));
  const added: SqlIndex[] = [];
  conn.run(`CREATE TABLE IF NOT EXISTS ${MULTI_TABLE} (queue TEXT NOT NULL, idx TEXT NOT NULL, key NOT NULL, id TEXT NOT NULL)`);
  conn.run(`CREATE INDEX IF NOT EXISTS ${MULTI_TABLE}_key ON ${MULTI_TABLE} (queue, idx, key, id)`);
  conn.run(`CREATE INDEX IF NOT EXISTS ${MULTI_TABLE}_job ON ${MULTI_TABLE} (queue, id)`);
  for (const index of MULTI_INDEXES) {
    const marker = `multi:${index.name}`;
    if (conn.all(`SELECT 1 FROM ${META_TABLE} WHERE key = ?`, [marker]).length > 0) continue;
    for (const row of conn.all(`SELECT queue, id, head FROM ${JOBS_TABLE}`)) {
      const rec = withKeys(conn.codec.decode(row.head as Encoded) as JobRecord) as unknown as Row;
      for (const key of multiKeys(rec[index.field])) conn.run(`INSERT INTO ${MULTI_TABLE} (queue, idx, key, id) VALUES (?, ?, ?, ?)`, [row.queue as string, index.name, key, row.id as string]);
    }
    conn.run(`INSERT INTO ${META_TABLE} (key, value) VALUES (?, 1)`, [marker]);
  }
  for (const index of COLUMN_INDEXES) {
    const missing = index.columns.filter((c) => !have.has(c));
    for (const c of missing) conn.run(`ALTER TABLE ${JOBS_TABLE} ADD COLUMN ${c}`);
    if (missing.length > 0) added.push(index);
    const cols = index.unique ? ['queue', ...index.columns] : ['queue', ...index.columns, 'id'];
    conn.run(`CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX IF NOT EXISTS ${JOBS_TABLE}_${index.name} ON ${JOBS_TABLE} (${cols.join(', ')}) WHERE ${index.columns[0] as string} IS NOT NULL`);
  }
  if (added.length === 0 || !have.has('head')) return;
  for (const row of conn.all(`SELECT queue, id, head FROM ${JOBS_TABLE}`)) {
    const rec = withKeys(conn.codec.decode(row.head as Encoded) as JobRecord) as unknown as Row;
    const cols = added.flatMap((index) => index.columns);
    const values = added.flatMap((index) => keyColumns(index, rec[index.field]));
    conn.run(`UPDATE ${JOBS_TABLE} SET ${cols.map((c) => `${c} = ?`).join(', ')}, head = ? WHERE queue = ? AND id = ?`, [...values, conn.codec.encode(rec), row.queue as string, row.id as string]);
  }
}

const asBlob = (v: Encoded): SqlValue => v;

const upsert = (cols: string[]): string =>
  `INSERT INTO ${JOBS_TABLE} (queue, id, ${cols.join(', ')}) VALUES (?, ?, ${cols.map(() => '?').join(', ')}) ON CONFLICT (queue, id) DO UPDATE SET ${cols.map((c) => `${c} = excluded.${c}`).join(', ')}`;
const HEAD_COLUMNS = ['head', 'inline', ...COLUMN_INDEXES.flatMap((i) => i.columns)];
/** A new job or a whole job rewritten (data included); a head write keeps the stored data. */
const UPSERT_WITH_DATA = upsert([...HEAD_COLUMNS, 'data']);
const UPSERT_HEAD = upsert(HEAD_COLUMNS);

/**
 * The queue's engine on SQLite: a row per job with its index keys in columns, real indexes
 * (partial: a job is only in the indexes it belongs to), and range walks as row-value
 * comparisons, so a claim reads what it returns whatever the number of stored jobs.
 */
export class SqliteEngine implements Engine {
  readonly durable = true;
  private closed = false;

  constructor(
    private readonly conn: SqlConnection,
    private readonly queue: string,
  ) {}

  read<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.run('read', fn);
  }

  write<T>(fn: (tx: Tx) => Promise<T>, durability: 'strict' | 'relaxed'): Promise<T> {
    return this.run(durability, fn);
  }

  close(): void {
    this.closed = true;
  }

  private async run<T>(mode: TxMode, fn: (tx: Tx) => Promise<T>): Promise<T> {
    if (this.closed) throw new JobrailError(`Queue "${this.queue}" is closed: open it again with openQueue()`);
    const result = await this.conn.transaction(mode, () => fn(this.ops()));
    if (mode !== 'read') this.conn.afterWrite?.(this.queue);
    return result;
  }

  private decodeRow(row: Row): JobRecord {
    const rec = this.conn.codec.decode(row.head as Encoded) as JobRecord;
    rec.data = row.data === null || row.data === undefined ? undefined : this.conn.codec.decode(row.data as Encoded);
    return rec;
  }

  private ops(): Tx {
    const { conn, queue } = this;
    const codec = conn.codec;
    const q = queue;
    // A head is read without data kept apart (large data), as IndexedDB reads it.
    const HEAD = `head, CASE WHEN inline THEN data END AS data`;
    const writeRow = (rec: JobRecord, withData: boolean) => {
      const { data, ...rest } = rec;
      const head = codec.encode(rest);
      const values: SqlValue[] = [q, rec.id, asBlob(head), rec.inline ? 1 : 0];
      for (const index of COLUMN_INDEXES) values.push(...keyColumns(index, (rec as unknown as Row)[index.field]));
      if (withData) values.push(data === undefined ? null : asBlob(codec.encode(data)));
      try {
        conn.run(withData ? UPSERT_WITH_DATA : UPSERT_HEAD, values);
        for (const index of MULTI_INDEXES) {
          const keys = multiKeys((rec as unknown as Row)[index.field]);
          conn.run(`DELETE FROM ${MULTI_TABLE} WHERE queue = ? AND id = ? AND idx = ?`, [q, rec.id, index.name]);
          for (const key of keys) conn.run(`INSERT INTO ${MULTI_TABLE} (queue, idx, key, id) VALUES (?, ?, ?, ?)`, [q, index.name, key, rec.id]);
        }
      } catch (error) {
        if (/UNIQUE constraint failed/i.test(String((error as Error).message))) {
          const e = new Error(`Unable to add key to index 'idempotencyKey': at least one key does not satisfy the uniqueness requirements.`, { cause: error });
          e.name = 'ConstraintError';
          throw e;
        }
        throw error;
      }
    };
    const select = (index: IndexName, range: Range | undefined, direction: Direction, what: 'heads' | 'entries' | 'ids', limit: number): Row[] => {
      const idx = SQL_INDEX[index];
      const where = rangeWhere(idx, range);
      const n = Math.min(limit, Number.MAX_SAFE_INTEGER);
      if (idx.multiEntry) {
        const cols = what === 'heads' ? `j.head AS head, CASE WHEN j.inline THEN j.data END AS data` : what === 'entries' ? 'm.key AS key, m.id AS id' : 'm.id AS id';
        const join = what === 'heads' ? ` JOIN ${JOBS_TABLE} j ON j.queue = m.queue AND j.id = m.id` : '';
        return conn.all(`SELECT ${cols} FROM ${MULTI_TABLE} m${join} WHERE m.queue = ? AND m.idx = ? AND ${where.sql} ORDER BY ${orderBy(idx, direction)} LIMIT ?`, [q, index, ...where.params, n]);
      }
      const cols = what === 'heads' ? HEAD : what === 'entries' ? [...idx.columns, 'id'].join(', ') : 'id';
      return conn.all(`SELECT ${cols} FROM ${JOBS_TABLE} WHERE queue = ? AND ${where.sql} ORDER BY ${orderBy(idx, direction)} LIMIT ?`, [q, ...where.params, n]);
    };
    // Each call runs its statement at once (the connection is synchronous); the promise only keeps the Tx contract.
    const later = <T>(f: () => T): Promise<T> => {
      try {
        return Promise.resolve(f());
      } catch (error) {
        return Promise.reject(error as Error);
      }
    };
    return {
      get: (id) => later(() => {
        const row = conn.all(`SELECT head, data FROM ${JOBS_TABLE} WHERE queue = ? AND id = ?`, [q, id])[0];
        return row && this.decodeRow(row);
      }),
      head: (id) => later(() => {
        const row = conn.all(`SELECT ${HEAD} FROM ${JOBS_TABLE} WHERE queue = ? AND id = ?`, [q, id])[0];
        return row && this.decodeRow(row);
      }),
      put: (rec) => later(() => writeRow(rec, true)),
      putHead: (rec) => later(() => writeRow(rec, false)),
      heads: (index, range, limit) => later(() => select(index, range, 'next', 'heads', limit).map((row) => this.decodeRow(row))),
      delete: (id) => later(() => {
        conn.run(`DELETE FROM ${JOBS_TABLE} WHERE queue = ? AND id = ?`, [q, id]);
        if (MULTI_INDEXES.length > 0) conn.run(`DELETE FROM ${MULTI_TABLE} WHERE queue = ? AND id = ?`, [q, id]);
      }),
      getMeta: <T>(key: string) => later(() => {
        const row = conn.all(`SELECT value FROM ${KV_TABLE} WHERE queue = ? AND key = ?`, [q, key])[0];
        return (row ? codec.decode(row.value as Encoded) : undefined) as T | undefined;
      }),
      putMeta: (key, value) => later(() => {
        conn.run(`INSERT INTO ${KV_TABLE} (queue, key, value) VALUES (?, ?, ?) ON CONFLICT (queue, key) DO UPDATE SET value = excluded.value`, [q, key, asBlob(codec.encode(value))]);
      }),
      first: (index, range, direction = 'next') => later(() => {
        const row = select(index, range, direction, 'entries', 1)[0];
        return row && { key: keyOf(SQL_INDEX[index], row), id: row.id as string };
      }),
      entries: (index, range, direction, limit) => later(() => (limit <= 0 ? [] : select(index, range, direction, 'entries', limit).map((row) => ({ key: keyOf(SQL_INDEX[index], row) as Key, id: row.id as string })))),
      ids: (index, range, direction, limit) => later(() => (limit <= 0 ? [] : select(index, range, direction, 'ids', limit).map((row) => row.id as string))),
      count: (index, range) => later(() => {
        const idx = SQL_INDEX[index];
        const where = rangeWhere(idx, range);
        const sql = idx.multiEntry
          ? `SELECT count(*) AS n FROM ${MULTI_TABLE} m WHERE m.queue = ? AND m.idx = ? AND ${where.sql}`
          : `SELECT count(*) AS n FROM ${JOBS_TABLE} WHERE queue = ? AND ${where.sql}`;
        return Number(conn.all(sql, idx.multiEntry ? [q, index, ...where.params] : [q, ...where.params])[0]?.n ?? 0);
      }),
    };
  }
}
