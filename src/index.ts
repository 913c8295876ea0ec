/** `jobrail`: a durable background job queue that runs inside the browser. */
export { openQueue, DEFAULT_MAX_DATA_BYTES } from './queue.js';
export type { Queue, BulkItem, WaitOptions } from './queue.js';
export { startWorkers } from './runner.js';
export type { Runner, RunnerOptions } from './runner.js';
export { JobrailError, PermanentError, TimeoutError, JobFailedError, RetryLaterError, ExpiredError, DependencyError } from './errors.js';
export { JOB_STATES } from './types.js';
export type {
  Backoff,
  BackoffFunction,
  BackoffStrategy,
  BuiltInBackoff,
  NamedBackoff,
  CleanOptions,
  DataOf,
  Handler,
  HandlerContext,
  Handlers,
  Job,
  JobEventName,
  JobDef,
  JobMap,
  JobOf,
  JobOptions,
  JobState,
  ListOptions,
  QueueChange,
  QueueEventName,
  QueueOptions,
  QueueStore,
  RemoveOnComplete,
  ResultOf,
  SerializedError,
} from './types.js';
export type { Environment } from './environment.js';
export type { StorageManagerLike, StorageStatus } from './persistence.js';
export type { CatchUp, ScheduleInfo, ScheduleJobOptions, ScheduleSpec } from './schedule.js';
export { requestBackgroundSync, syncTag } from './background-sync.js';
export { watchCounts, watchJob, watchJobs } from './watch.js';
export type { CountsSnapshot, JobSnapshot, JobsSnapshot, Watch, WatchState } from './watch.js';
