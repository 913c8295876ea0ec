import type { Key, Range } from './engine.js';
import { INDEXES, type IndexName } from './schema.js';

/**
 * jobrail's tables in a SQLite database (`jobrail/sqlite`). Several queues share them, told
 * apart by the `queue` column. Version policy as for IndexedDB: every bump adds a step to
 * `migrate` (sqlite.ts) that converts rows in place and never drops the jobs table.
 * 1: jobs (a row per job: the record without its data, the data apart, a column per index
 * key part), kv (a queue's meta values), meta (this schema version and the value codec).
 */
export const SQLITE_SCHEMA_VERSION = 1;

export const JOBS_TABLE = 'jobrail_jobs';
export const KV_TABLE = 'jobrail_kv';
export const META_TABLE = 'jobrail_meta';
/** Entries of multiEntry indexes (one row per element of the key array): queue, idx, key, id. */
export const MULTI_TABLE = 'jobrail_multi';

/**
 * Key parts of each index of `schema.ts` (`INDEXES`), one column each. Adding an index there
 * takes one line here; a database opened by the newer code gets the columns and the index,
 * filled from its stored rows, on open (see `reconcileIndexes`).
 */
export const SQL_INDEX_PARTS: { readonly [K in IndexName]: number } = {
  state: 2,
  stateName: 3,
  ready: 3,
  due: 2,
  finished: 3,
  idempotencyKey: 1,
  group: 2,
  deps: 1,
  expiry: 2,
};

export interface SqlIndex {
  name: IndexName;
  /** The record field that holds the key (an array of `parts` values, or one value). */
  field: string;
  unique: boolean;
  /** Each element of the key array is an entry of its own, kept in `MULTI_TABLE` (column `key`). */
  multiEntry: boolean;
  columns: string[];
}

export const SQL_INDEXES: SqlIndex[] = (Object.keys(SQL_INDEX_PARTS) as IndexName[]).map((name) => ({
  name,
  field: INDEXES[name].keyPath,
  unique: INDEXES[name].unique,
  multiEntry: (INDEXES[name] as { multiEntry?: boolean }).multiEntry === true,
  columns: (INDEXES[name] as { multiEntry?: boolean }).multiEntry === true ? ['m.key'] : Array.from({ length: SQL_INDEX_PARTS[name] }, (_, i) => `k_${name}_${String(i)}`),
}));

/** Indexes kept in columns of the jobs table. */
export const COLUMN_INDEXES = SQL_INDEXES.filter((i) => !i.multiEntry);
export const MULTI_INDEXES = SQL_INDEXES.filter((i) => i.multiEntry);

export const SQL_INDEX: Record<IndexName, SqlIndex> = Object.fromEntries(SQL_INDEXES.map((i) => [i.name, i])) as Record<IndexName, SqlIndex>;

/** The column values of a record's key for one index: nulls when the record is not in it (sparse). */
export function keyColumns(index: SqlIndex, key: unknown): (number | string | null)[] {
  if (key === undefined || key === null) return index.columns.map(() => null);
  const parts = index.columns.length === 1 ? [key] : (key as unknown[]);
  return index.columns.map((_, i) => {
    const v = parts[i];
    return typeof v === 'number' || typeof v === 'string' ? v : null;
  });
}

/** The key of an index entry read back from its columns. */
export function keyOf(index: SqlIndex, row: Record<string, unknown>): Key {
  if (index.multiEntry) return row.key as Key;
  const parts = index.columns.map((c) => row[c] as Key);
  return index.columns.length === 1 ? (parts[0] as Key) : parts;
}

/**
 * One bound of an IndexedDB-style key range as a row-value comparison over the index's
 * columns, keeping IndexedDB's order: a shorter key sorts before every key it prefixes, and
 * an array part (`[]`) after every number and string, so `[a, []]` bounds all keys starting
 * with `a`. Returns undefined when the bound excludes nothing.
 */
function bound(columns: string[], key: Key, lower: boolean, open: boolean): { sql: string; params: (number | string)[] } | 'none' | undefined {
  const parts = columns.length === 1 ? [key] : Array.isArray(key) ? key : [key];
  const sentinel = parts.findIndex((p) => Array.isArray(p));
  const n = Math.min(sentinel >= 0 ? sentinel : parts.length, columns.length);
  const full = sentinel < 0 && n === columns.length;
  if (n === 0) return sentinel === 0 && lower ? 'none' : undefined;
  let op: string;
  if (lower) op = sentinel >= 0 ? '>' : full && open ? '>' : '>=';
  else op = sentinel >= 0 ? '<=' : full ? (open ? '<' : '<=') : '<';
  const lhs = columns.slice(0, n);
  const params = parts.slice(0, n) as (number | string)[];
  const sql = n === 1 ? `${lhs[0] as string} ${op} ?` : `(${lhs.join(', ')}) ${op} (${lhs.map(() => '?').join(', ')})`;
  return { sql, params };
}

/** The WHERE terms (after `queue = ?`) selecting an index's entries within a range. */
export function rangeWhere(index: SqlIndex, range: Range | undefined): { sql: string; params: (number | string)[] } {
  // Names the partial index's condition, so SQLite uses it.
  const terms = [`${index.columns[0] as string} IS NOT NULL`];
  const params: (number | string)[] = [];
  for (const [key, lower, open] of [
    [range?.lower, true, range?.lowerOpen === true],
    [range?.upper, false, range?.upperOpen === true],
  ] as [Key | undefined, boolean, boolean][]) {
    if (key === undefined) continue;
    const b = bound(index.columns, key, lower, open);
    if (b === 'none') return { sql: '0', params: [] };
    if (!b) continue;
    terms.push(b.sql);
    params.push(...b.params);
  }
  return { sql: terms.join(' AND '), params };
}

export const orderBy = (index: SqlIndex, direction: 'next' | 'prev'): string => {
  const dir = direction === 'next' ? 'ASC' : 'DESC';
  return [...index.columns, index.multiEntry ? 'm.id' : 'id'].map((c) => `${c} ${dir}`).join(', ');
};

/** The entries of a multiEntry index for one record's key: one per element. */
export function multiKeys(key: unknown): (number | string)[] {
  const parts = Array.isArray(key) ? key : key === undefined || key === null ? [] : [key];
  return [...new Set(parts.filter((v): v is number | string => typeof v === 'number' || typeof v === 'string'))];
}
