/**
 * Blob and File data where IndexedDB refuses to store them. WebKit's in-memory IndexedDB
 * (Safari Private Browsing, automation sessions) rejects every Blob with `UnknownError: Error
 * preparing Blob/File data to be stored in object store`. There jobrail stores each Blob as
 * its bytes with its type (and a File's name and lastModified) and hands out a Blob or File
 * again on every read, so a handler cannot tell the difference.
 *
 * Reading a Blob's bytes is asynchronous, and nothing but IndexedDB may be awaited inside a
 * transaction: the engine aborts the attempt, reads the bytes the encoding lacked (kept by
 * Blob identity, so a Blob is read once), and runs the transaction again.
 */

/** The key that marks an encoded Blob inside stored data. */
const TAG = '__jobrailBlob';

interface EncodedBlob {
  [TAG]: 1;
  bytes: ArrayBuffer;
  type: string;
  /** Present for a File. */
  name?: string;
  lastModified?: number;
}

const isBlob = (v: unknown): v is Blob => typeof Blob !== 'undefined' && v instanceof Blob;
const isFile = (v: unknown): v is File => typeof File !== 'undefined' && v instanceof File;

/** Plain containers are walked; anything else (Date, ArrayBuffer, typed arrays, …) is kept as is. */
function isPlain(v: object): boolean {
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Calls `visit` for every Blob reachable through plain objects, arrays, Maps and Sets. */
function eachBlob(value: unknown, visit: (blob: Blob) => void): void {
  const seen = new Set<object>();
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (!v || typeof v !== 'object' || seen.has(v)) continue;
    seen.add(v);
    if (isBlob(v)) visit(v);
    else if (Array.isArray(v)) stack.push(...(v as unknown[]));
    else if (v instanceof Map) for (const [k, x] of v) stack.push(k, x);
    else if (v instanceof Set) for (const x of v) stack.push(x);
    else if (isPlain(v)) stack.push(...Object.values(v));
  }
}

/** Every Blob reachable in `values` (through plain objects, arrays, Maps and Sets). */
export function blobsIn(values: readonly unknown[]): Blob[] {
  const out: Blob[] = [];
  for (const value of values) eachBlob(value, (blob) => out.push(blob));
  return out;
}

export function hasBlob(value: unknown): boolean {
  let found = false;
  eachBlob(value, () => {
    found = true;
  });
  return found;
}

/** Thrown inside a transaction when data holds Blobs whose bytes were not read yet. */
export class BlobBytesNeeded extends Error {
  constructor(readonly blobs: Blob[]) {
    super('jobrail: Blob bytes must be read before this write (retried outside the transaction)');
    this.name = 'BlobBytesNeeded';
  }
}

/** Thrown inside a transaction before its first write of a Blob, while the engine does not know yet whether the browser stores Blobs. */
export class BlobSupportUnknown extends Error {
  constructor() {
    super('jobrail: whether this browser stores Blobs in IndexedDB is asked before the first write of one (retried after asking)');
    this.name = 'BlobSupportUnknown';
  }
}

/** A copy of `value` with every container on the way rebuilt by `leaf`; cycles kept. */
function rebuild(value: unknown, leaf: (v: object) => unknown | undefined): unknown {
  const copies = new Map<object, unknown>();
  const walk = (v: unknown): unknown => {
    if (!v || typeof v !== 'object') return v;
    const done = copies.get(v);
    if (done !== undefined) return done;
    const replaced = leaf(v);
    if (replaced !== undefined) return replaced;
    if (Array.isArray(v)) {
      const out: unknown[] = [];
      copies.set(v, out);
      for (const x of v as unknown[]) out.push(walk(x));
      return out;
    }
    if (v instanceof Map) {
      const out = new Map<unknown, unknown>();
      copies.set(v, out);
      for (const [k, x] of v) out.set(walk(k), walk(x));
      return out;
    }
    if (v instanceof Set) {
      const out = new Set<unknown>();
      copies.set(v, out);
      for (const x of v) out.add(walk(x));
      return out;
    }
    if (!isPlain(v)) return v;
    const out: Record<string, unknown> = {};
    copies.set(v, out);
    for (const [k, x] of Object.entries(v)) out[k] = walk(x);
    return out;
  };
  return walk(value);
}

/** Encodes and decodes Blobs of stored values; remembers each Blob's bytes by identity. */
export class BlobCodec {
  private readonly bytes = new WeakMap<Blob, EncodedBlob>();

  /** Whether the bytes of `blob` were read already. */
  has(blob: Blob): boolean {
    return this.bytes.has(blob);
  }

  /** Reads the bytes of `blobs` (outside any transaction). */
  async read(blobs: Blob[]): Promise<void> {
    await Promise.all(
      blobs.map(async (blob) => {
        if (this.bytes.has(blob)) return;
        const encoded: EncodedBlob = { [TAG]: 1, bytes: await blob.arrayBuffer(), type: blob.type };
        if (isFile(blob)) {
          encoded.name = blob.name;
          encoded.lastModified = blob.lastModified;
        }
        this.bytes.set(blob, encoded);
      }),
    );
  }

  /** `value` with its Blobs as bytes; throws `BlobBytesNeeded` for Blobs not read yet. */
  encode(value: unknown): unknown {
    const missing: Blob[] = [];
    eachBlob(value, (blob) => {
      if (!this.bytes.has(blob)) missing.push(blob);
    });
    if (missing.length > 0) throw new BlobBytesNeeded(missing);
    return rebuild(value, (v) => (isBlob(v) ? this.bytes.get(v) : undefined));
  }

  /** `value` with encoded Blobs as Blobs and Files again (remembered, so writing them back needs no read). */
  decode(value: unknown): unknown {
    return rebuild(value, (v) => {
      const e = v as Partial<EncodedBlob>;
      if (e[TAG] !== 1 || !(e.bytes instanceof ArrayBuffer)) return undefined;
      const blob =
        typeof e.name === 'string' && typeof File !== 'undefined'
          ? new File([e.bytes], e.name, { type: e.type ?? '', lastModified: e.lastModified ?? 0 })
          : new Blob([e.bytes], { type: e.type ?? '' });
      this.bytes.set(blob, e as EncodedBlob);
      return blob;
    });
  }
}
