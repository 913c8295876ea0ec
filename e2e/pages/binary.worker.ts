import { serveHandlers } from 'jobrail/worker';

serveHandlers({
  async inspect(data: { blob: Blob; buf: ArrayBuffer; arr: Float64Array }) {
    return {
      blobText: await data.blob.text(),
      blobType: data.blob.type,
      buf: [...new Uint8Array(data.buf)],
      arr: [...data.arr],
    };
  },
});
