/** Worker side of the layout floor's worker variant: runs no-op "handlers" for a share of a batch and answers once, without jobrail. */
self.onmessage = async (event: MessageEvent<{ jobs: { id: string; data: unknown }[] }>) => {
  const results = await Promise.all(event.data.jobs.map(async (job) => ({ id: job.id, ok: true, value: undefined })));
  self.postMessage(results);
};
