/**
 * Turns stored values into short plain strings for the dashboard. Everything here returns
 * text that the element puts into the DOM with `textContent`: nothing is ever parsed as HTML.
 */

/** A short, human-readable preview of any storable value (job data, results, progress). */
export function preview(value: unknown, max = 120): string {
  const out = describeValue(value, 0, new Set());
  return truncate(out, max);
}

export function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, Math.max(0, max - 1))}…` : text;
}

const MAX_KEYS = 6;
const MAX_DEPTH = 3;

function describeValue(value: unknown, depth: number, seen: Set<object>): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
    case 'boolean':
      return String(value);
    case 'bigint':
      return `${String(value)}n`;
    case 'undefined':
      return 'undefined';
    case 'symbol':
    case 'function':
      return typeof value;
    default:
      break;
  }
  if (value === null) return 'null';
  const obj = value as object;
  if (seen.has(obj)) return '[circular]';
  if (typeof Blob !== 'undefined' && obj instanceof Blob) {
    const file = typeof File !== 'undefined' && obj instanceof File ? `File ${JSON.stringify(obj.name)} ` : 'Blob ';
    return `${file}(${bytes(obj.size)}${obj.type ? `, ${obj.type}` : ''})`;
  }
  if (obj instanceof ArrayBuffer) return `ArrayBuffer(${bytes(obj.byteLength)})`;
  if (ArrayBuffer.isView(obj)) return `${obj.constructor.name}(${bytes(obj.byteLength)})`;
  if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? 'Invalid Date' : obj.toISOString();
  if (obj instanceof RegExp) return String(obj);
  if (obj instanceof Error) return `${obj.name}: ${obj.message}`;
  if (depth >= MAX_DEPTH) return Array.isArray(obj) ? `[…${String(obj.length)}]` : '{…}';
  seen.add(obj);
  try {
    if (obj instanceof Map) {
      const parts = [...obj.entries()].slice(0, MAX_KEYS).map(([k, v]) => `${describeValue(k, depth + 1, seen)} => ${describeValue(v, depth + 1, seen)}`);
      return `Map(${String(obj.size)}) {${parts.join(', ')}${obj.size > MAX_KEYS ? ', …' : ''}}`;
    }
    if (obj instanceof Set) {
      const parts = [...obj.values()].slice(0, MAX_KEYS).map((v) => describeValue(v, depth + 1, seen));
      return `Set(${String(obj.size)}) {${parts.join(', ')}${obj.size > MAX_KEYS ? ', …' : ''}}`;
    }
    if (Array.isArray(obj)) {
      const parts = obj.slice(0, MAX_KEYS).map((v) => describeValue(v, depth + 1, seen));
      return `[${parts.join(', ')}${obj.length > MAX_KEYS ? `, … ${String(obj.length - MAX_KEYS)} more` : ''}]`;
    }
    const keys = Object.keys(obj);
    const parts = keys.slice(0, MAX_KEYS).map((k) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k)}: ${describeValue((obj as Record<string, unknown>)[k], depth + 1, seen)}`);
    return `{${parts.join(', ')}${keys.length > MAX_KEYS ? ', …' : ''}}`;
  } finally {
    seen.delete(obj);
  }
}

/** `1.2 kB`, `340 B`, `3.4 MB`, `2.1 GB` (decimal units). */
export function bytes(n: number): string {
  if (n < 1000) return `${String(n)} B`;
  if (n < 1_000_000) return `${(n / 1000).toFixed(1)} kB`;
  if (n < 1_000_000_000) return `${(n / 1_000_000).toFixed(1)} MB`;
  return `${(n / 1_000_000_000).toFixed(1)} GB`;
}

/** `now`, `in 3 s`, `in 2 min`, `in 1 h 5 min`, `in 2 d`, or the same with `ago`. */
export function relativeTime(at: number, now: number): string {
  const diff = at - now;
  const abs = Math.abs(diff);
  if (abs < 1000) return 'now';
  let text: string;
  if (abs < 60_000) text = `${String(Math.round(abs / 1000))} s`;
  else if (abs < 3_600_000) text = `${String(Math.round(abs / 60_000))} min`;
  else if (abs < 86_400_000) {
    const h = Math.floor(abs / 3_600_000);
    const m = Math.round((abs % 3_600_000) / 60_000);
    text = m > 0 ? `${String(h)} h ${String(m)} min` : `${String(h)} h`;
  } else text = `${String(Math.round(abs / 86_400_000))} d`;
  return diff > 0 ? `in ${text}` : `${text} ago`;
}

/** A local date-time for tooltips. */
export function absoluteTime(at: number): string {
  const d = new Date(at);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleString();
}

/**
 * A progress value as a fraction 0…1, when it can be read as one: a number in 0…1, a
 * percentage in (1, 100], or `{ loaded, total }`. Otherwise undefined.
 */
export function progressFraction(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) {
    if (value >= 0 && value <= 1) return value;
    if (value > 1 && value <= 100) return value / 100;
    return undefined;
  }
  if (value && typeof value === 'object') {
    const { loaded, total } = value as { loaded?: unknown; total?: unknown };
    if (typeof loaded === 'number' && typeof total === 'number' && total > 0) return Math.min(1, Math.max(0, loaded / total));
  }
  return undefined;
}
