/**
 * Lost IndexedDB connections. WebKit drops them after the page was backgrounded or under
 * memory pressure (`UnknownError: Connection to Indexed Database server lost`, then
 * `InvalidStateError: … database connection is closing` on every later call); other engines
 * close them when storage is cleared or another tab deletes or upgrades the database. The
 * engine then reopens and runs the transaction again. A write that failed only at its commit
 * may have committed anyway; `WriteLog` holds what it wrote, so the engine can tell by
 * reading it back before running it again.
 */

/** Whether an error says the connection is gone (rather than something wrong with the request). */
export function isConnectionLoss(error: unknown): boolean {
  const e = error as { name?: unknown; message?: unknown } | null;
  const name = typeof e?.name === 'string' ? e.name : '';
  const message = typeof e?.message === 'string' ? e.message : '';
  if (/connection.*(lost|clos)|server lost|database.*(clos|lost)/i.test(message)) return name === 'UnknownError' || name === 'InvalidStateError' || name === 'AbortError';
  return false;
}

/** What a write transaction wrote, in the stored form, to read back after a lost commit. */
export class WriteLog {
  /** Jobs written: a new job is recognised by its `uid`, any other by its whole stored value. */
  readonly jobs: { store: string; id: string; value: Record<string, unknown>; fresh: boolean }[] = [];
  readonly meta: { key: string; value: unknown }[] = [];
}

/** Structural equality of stored values (what a read returns for what was written). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (!a || !b || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (a instanceof Date) return a.getTime() === (b as Date).getTime();
  if (a instanceof ArrayBuffer) return sameValue(new Uint8Array(a), new Uint8Array(b as ArrayBuffer));
  if (ArrayBuffer.isView(a)) {
    const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    const y = new Uint8Array((b as ArrayBufferView).buffer, (b as ArrayBufferView).byteOffset, (b as ArrayBufferView).byteLength);
    return x.length === y.length && x.every((v, i) => v === y[i]);
  }
  if (a instanceof Map) return a.size === (b as Map<unknown, unknown>).size && [...a].every(([k, v]) => sameValue(v, (b as Map<unknown, unknown>).get(k)));
  if (a instanceof Set) return a.size === (b as Set<unknown>).size && [...a].every((v) => (b as Set<unknown>).has(v));
  if (typeof Blob !== 'undefined' && a instanceof Blob) return a.size === (b as Blob).size && a.type === (b as Blob).type;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
