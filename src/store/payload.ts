/**
 * Where a job's data is kept. Small data lives inline in the job record: one put per add,
 * and a claim reads the job and its data in one request. Blobs and large data live in the
 * `payloads` store, so claims, retries and progress rewrite a small record and never copy
 * an upload each time the job changes state.
 */

/** Data estimated above this size is kept apart from the job record. */
export const INLINE_MAX_BYTES = 8 * 1024;

export interface DataSize {
  /** A cheap upper estimate of the stored size; counting stops once past the cap. */
  bytes: number;
  /** Holds a Blob (or File): kept apart whatever its size. */
  blob: boolean;
}

/** Estimates a value's stored size without cloning it; stops counting once past `cap`. */
export function measureData(value: unknown, cap: number): DataSize {
  let bytes = 0;
  let blob = false;
  const seen = new Set<object>();
  const stack: unknown[] = [value];
  while (stack.length > 0 && bytes <= cap) {
    const v = stack.pop();
    if (typeof v === 'string') bytes += v.length * 2;
    else if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') bytes += 8;
    else if (v && typeof v === 'object') {
      if (seen.has(v)) continue;
      seen.add(v);
      if (typeof Blob !== 'undefined' && v instanceof Blob) {
        blob = true;
        bytes += v.size;
      } else if (v instanceof ArrayBuffer) bytes += v.byteLength;
      else if (ArrayBuffer.isView(v)) bytes += v.byteLength;
      else if (v instanceof Map) for (const [k, x] of v) stack.push(k, x);
      else if (v instanceof Set) for (const x of v) stack.push(x);
      else
        for (const [k, x] of Object.entries(v)) {
          bytes += k.length * 2;
          stack.push(x);
        }
    }
  }
  return { bytes, blob };
}

/** True when data of this size is kept in the `payloads` store rather than inline. */
export const keptApart = (size: DataSize): boolean => size.blob || size.bytes > INLINE_MAX_BYTES;
