import type { IDBPDatabase, IDBPTransaction, StoreNames } from 'idb';
import { INDEXES, JOBS, META, PAYLOADS, type IndexName, type JobrailDB } from './schema.js';

/**
 * Brings a database from `oldVersion` to the current version, step by step.
 * Policy: a step converts or re-indexes records in place; it never drops the jobs store.
 */
export function upgrade(
  db: IDBPDatabase<JobrailDB>,
  oldVersion: number,
  tx: IDBPTransaction<JobrailDB, StoreNames<JobrailDB>[], 'versionchange'>,
): void {
  if (oldVersion < 1) {
    const jobs = db.createObjectStore(JOBS, { keyPath: 'id' });
    for (const [name, spec] of Object.entries(INDEXES)) {
      jobs.createIndex(name as IndexName, spec.keyPath, { unique: spec.unique });
    }
    db.createObjectStore(META);
    db.createObjectStore(PAYLOADS);
  }
  void tx;
}
