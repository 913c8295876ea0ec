/** What a handler sees of Blob/File data, in a form any driver carries back as JSON. */
export interface SeenBlob {
  blob: boolean;
  file: boolean;
  type: string;
  size: number;
  text: string;
  name?: string;
  lastModified?: number;
}

async function seen(v: Blob): Promise<SeenBlob> {
  const out: SeenBlob = { blob: v instanceof Blob, file: typeof File === 'function' && v instanceof File, type: v.type, size: v.size, text: await v.text() };
  if (v instanceof File) {
    out.name = v.name;
    out.lastModified = v.lastModified;
  }
  return out;
}

/** Every Blob or File found in `data` (plain objects, arrays and Maps walked), keyed by its path. */
export async function describeBlobs(data: unknown, path = '$'): Promise<Record<string, SeenBlob | string>> {
  const out: Record<string, SeenBlob | string> = {};
  if (data instanceof Blob) out[path] = await seen(data);
  else if (data instanceof Map) for (const [k, v] of data) Object.assign(out, await describeBlobs(v, `${path}.map(${String(k)})`));
  else if (Array.isArray(data)) for (const [i, v] of data.entries()) Object.assign(out, await describeBlobs(v, `${path}[${String(i)}]`));
  else if (data instanceof ArrayBuffer) out[path] = `ArrayBuffer(${[...new Uint8Array(data)].join(',')})`;
  else if (ArrayBuffer.isView(data)) out[path] = `${data.constructor.name}(${[...new Uint8Array(data.buffer, data.byteOffset, data.byteLength)].join(',')})`;
  else if (data instanceof Date) out[path] = `Date(${String(data.getTime())})`;
  else if (data && typeof data === 'object') for (const [k, v] of Object.entries(data)) Object.assign(out, await describeBlobs(v, `${path}.${k}`));
  else out[path] = JSON.stringify(data) ?? 'undefined';
  return out;
}
