import type { IDBPDatabase, IDBPTransaction, StoreNames } from 'idb';
import { INDEXES, JOBS, META, PAYLOADS, V3_INDEXES, type IndexName, type JobrailDB } from './schema.js';

type UpgradeTx = IDBPTransaction<JobrailDB, StoreNames<JobrailDB>[], 'versionchange'>;

/**
 * Brings a database from `oldVersion` to the current version, step by step, inside the
 * versionchange transaction: if any step fails, the whole upgrade rolls back and the
 * database stays as it was. Policy: a step converts or re-indexes records in place, or the
 * readers keep understanding the older records; no step drops the jobs or payloads store.
 */
export function upgrade(db: IDBPDatabase<JobrailDB>, oldVersion: number, tx: UpgradeTx): void {
  if (oldVersion < 1) {
    const jobs = db.createObjectStore(JOBS, { keyPath: 'id' });
    for (const [name, spec] of Object.entries(INDEXES)) {
      jobs.createIndex(name as IndexName, spec.keyPath, { unique: spec.unique, multiEntry: 'multiEntry' in spec && spec.multiEntry });
    }
    db.createObjectStore(META);
    db.createObjectStore(PAYLOADS);
  }
  if (oldVersion >= 1 && oldVersion < 2) {
    // Removed in version 2 (see schema.ts); `list` merges per-state walks instead. Records are
    // not rewritten: one without `inline` has its data in `payloads`, which is where version 1
    // kept all data, so the upgrade costs the two index deletions, not a pass over every job.
    const jobs = tx.objectStore(JOBS);
    for (const index of ['seq', 'name']) jobs.deleteIndex(index as IndexName);
  }
  if (oldVersion >= 1 && oldVersion < 3) {
    // The outbox gates' indexes. Their key fields are absent on every older record (none is
    // gated, grouped or expiring), so the new indexes start empty and no record is rewritten.
    const jobs = tx.objectStore(JOBS);
    for (const name of V3_INDEXES) {
      const spec = INDEXES[name];
      jobs.createIndex(name, spec.keyPath, { unique: spec.unique, multiEntry: 'multiEntry' in spec && spec.multiEntry });
    }
  }
}
