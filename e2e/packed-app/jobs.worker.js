import { serveHandlers, PermanentError } from 'jobrail/worker';

serveHandlers({
  async double(data) {
    return { doubled: data.n * 2, blobSize: data.blob.size };
  },
  async explode() {
    throw new PermanentError('no');
  },
});
