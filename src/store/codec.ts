/**
 * How values (job data, results, progress, meta) become bytes in SQLite. Each runtime keeps
 * what its structured clone keeps: Node and Deno through `node:v8`, Bun through its own
 * `node:v8` (which also keeps Blobs), workerd through a tagged JSON of the same types. What a
 * codec would lose or change silently is refused with a `DataCloneError`, as a browser's
 * structured clone refuses it, so `add` rejects and nothing is written.
 */

export type Encoded = string | Uint8Array;

export interface Codec {
  /** Stored in the database: a file written with one codec is refused by another. */
  readonly name: string;
  encode(value: unknown): Encoded;
  decode(stored: Encoded | ArrayBuffer): unknown;
}

/** The error a browser's structured clone throws, so callers classify it the same way. */
export function cloneError(message: string, cause?: unknown): Error {
  const error = new Error(message, cause === undefined ? undefined : { cause });
  error.name = 'DataCloneError';
  return error;
}

/** `Object.prototype.toString` tags of values every codec keeps (class instances report `Object`). */
const KEPT = new Set([
  'Object', 'Array', 'Date', 'RegExp', 'Map', 'Set', 'ArrayBuffer', 'DataView', 'Error',
  'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array',
  'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array', 'Number', 'String', 'Boolean',
]);

const tagOf = (v: object): string => Object.prototype.toString.call(v).slice(8, -1);

/**
 * Refuses what the codec cannot keep: functions, symbols, and host objects other than the
 * kept types (`Blob`s unless `blobs`, streams, URLs, requests, weak collections, promises).
 */
export function checkStorable(value: unknown, blobs: boolean): void {
  const seen = new Set<object>();
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'function') throw cloneError(`a function (${v.name || 'anonymous'}) cannot be stored`);
    if (typeof v === 'symbol') throw cloneError(`a symbol (${String(v)}) cannot be stored`);
    if (v === null || typeof v !== 'object' || seen.has(v)) continue;
    seen.add(v);
    const tag = tagOf(v);
    if (tag === 'Blob' || tag === 'File') {
      if (blobs) continue;
      throw cloneError(`a ${tag} cannot be stored in SQLite in this runtime (only Bun serialises Blobs): store its bytes (await blob.arrayBuffer()) instead`);
    }
    if (!KEPT.has(tag)) throw cloneError(`a ${tag} object cannot be stored: pass plain data, Dates, Maps, Sets, ArrayBuffers or typed arrays`);
    if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) continue;
    if (v instanceof Map) for (const [k, x] of v) stack.push(k, x);
    else if (v instanceof Set) for (const x of v) stack.push(x);
    else for (const key of Object.keys(v)) stack.push((v as Record<string, unknown>)[key]);
  }
}

interface V8 {
  serialize(value: unknown): Uint8Array;
  deserialize(buffer: Uint8Array): unknown;
}

const bytesOf = (stored: Encoded | ArrayBuffer): Uint8Array =>
  typeof stored === 'string' ? new TextEncoder().encode(stored) : stored instanceof Uint8Array ? stored : new Uint8Array(stored);

/** `node:v8` serialisation (Node, Deno, Bun): fast, and keeps what structured clone keeps. */
export function v8Codec(v8: V8, name: string, blobs: boolean): Codec {
  return {
    name,
    encode(value) {
      checkStorable(value, blobs);
      try {
        return v8.serialize(value);
      } catch (error) {
        throw cloneError(`the value cannot be stored: ${(error as Error).message}`, error);
      }
    },
    decode: (stored) => v8.deserialize(bytesOf(stored)),
  };
}

// Tagged JSON, for workerd (no `node:v8`). A tagged value is an object whose only key is TAG.
const TAG = '\u0000jr';
const TYPED: Record<string, new (b: ArrayBuffer, o: number, n: number) => ArrayBufferView> = {
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array,
};

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function fromBase64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function encodeTree(v: unknown, path: Set<object>): unknown {
  if (v === undefined) return { [TAG]: ['u'] };
  if (typeof v === 'number') return Number.isFinite(v) && !Object.is(v, -0) ? v : { [TAG]: ['n', String(v === 0 ? '-0' : v)] };
  if (typeof v === 'bigint') return { [TAG]: ['b', v.toString()] };
  if (v === null || typeof v !== 'object') return v;
  // JSON has no shared references: a cycle cannot be kept (structured clone keeps it; we refuse).
  if (path.has(v)) throw cloneError('a value that contains itself (a cycle) cannot be stored in a Durable Object');
  path.add(v);
  try {
    if (Array.isArray(v)) return v.map((x) => encodeTree(x, path));
    if (v instanceof Date) return { [TAG]: ['d', v.getTime()] };
    if (v instanceof RegExp) return { [TAG]: ['r', v.source, v.flags] };
    if (v instanceof Map) return { [TAG]: ['m', [...v].map(([k, x]) => [encodeTree(k, path), encodeTree(x, path)])] };
    if (v instanceof Set) return { [TAG]: ['s', [...v].map((x) => encodeTree(x, path))] };
    if (v instanceof ArrayBuffer) return { [TAG]: ['a', toBase64(new Uint8Array(v))] };
    if (ArrayBuffer.isView(v)) {
      const bytes = toBase64(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
      return { [TAG]: ['t', v instanceof DataView ? 'DataView' : tagOf(v), bytes] };
    }
    if (v instanceof Error) return { [TAG]: ['e', v.name, v.message, v.stack ?? null] };
    const tag = tagOf(v);
    if (tag === 'Number' || tag === 'String' || tag === 'Boolean') return { [TAG]: ['p', tag, (v as { valueOf(): unknown }).valueOf()] };
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(v)) out[key] = encodeTree((v as Record<string, unknown>)[key], path);
    // A plain object that happens to use the tag key is escaped as a list of entries.
    return TAG in out ? { [TAG]: ['o', Object.entries(out)] } : out;
  } finally {
    path.delete(v);
  }
}

function decodeTree(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(decodeTree);
  const tagged = (v as Record<string, unknown>)[TAG] as unknown[] | undefined;
  if (!tagged) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = decodeTree(x);
    return out;
  }
  const [t, a, b, c] = tagged as [string, unknown, unknown, unknown];
  switch (t) {
    case 'u': return undefined;
    case 'n': return a === '-0' ? -0 : Number(a);
    case 'b': return BigInt(a as string);
    case 'd': return new Date(a as number);
    case 'r': return new RegExp(a as string, b as string);
    case 'm': return new Map((a as [unknown, unknown][]).map(([k, x]) => [decodeTree(k), decodeTree(x)]));
    case 's': return new Set((a as unknown[]).map(decodeTree));
    case 'a': return fromBase64(a as string).buffer;
    case 't': {
      const bytes = fromBase64(b as string);
      if (a === 'DataView') return new DataView(bytes.buffer);
      const Ctor = TYPED[a as string] as new (b: ArrayBuffer, o: number, n: number) => ArrayBufferView;
      const width = (Ctor as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
      return new Ctor(bytes.buffer as ArrayBuffer, 0, bytes.byteLength / width);
    }
    case 'e': {
      const error = new Error(b as string);
      error.name = a as string;
      if (typeof c === 'string') error.stack = c;
      return error;
    }
    case 'p': return a === 'Number' ? new Number(b) : a === 'String' ? new String(b) : new Boolean(b);
    case 'o': return Object.fromEntries((a as [string, unknown][]).map(([k, x]) => [k, decodeTree(x)]));
    default: throw new Error(`Unknown stored value tag ${JSON.stringify(t)}: the database was written by a newer jobrail`);
  }
}

/** Tagged JSON: the structured-clone types, without `node:v8` (workerd). Blobs are refused. */
export const jsonCodec: Codec = {
  name: 'tagged-json-1',
  encode(value) {
    checkStorable(value, false);
    return JSON.stringify(encodeTree(value, new Set()));
  },
  decode: (stored) => decodeTree(JSON.parse(typeof stored === 'string' ? stored : new TextDecoder().decode(bytesOf(stored)))),
};

/**
 * The codec of this runtime: `node:v8` where it exists (Node ≥ 22.3, Deno, Bun), else tagged
 * JSON. Node and Deno share V8's format; Bun's `node:v8` writes JavaScriptCore's. Reached
 * through `process.getBuiltinModule`, not an import, so bundles for workerd stay free of it.
 */
export function runtimeCodec(): Codec {
  const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined';
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  try {
    const v8 = proc?.getBuiltinModule?.('node:v8') as V8 | undefined;
    // workerd's nodejs_compat may offer `node:v8` without a working serializer: probe it.
    if (v8 && typeof v8.serialize === 'function' && v8.deserialize(v8.serialize(1)) === 1) return isBun ? v8Codec(v8, 'bun-v8-1', true) : v8Codec(v8, 'v8-1', false);
  } catch {
    // no usable node:v8 here
  }
  return jsonCodec;
}
