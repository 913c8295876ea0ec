import type { IDBPDatabase, IDBPTransaction, StoreNames } from 'idb';
import { ACTIVE, DELAYED, INDEXES, JOBS, META, PAYLOADS, STORE_INDEXES, tierOf, type IndexName, type JobStore, type JobrailDB } from './schema.js';

type UpgradeTx = IDBPTransaction<JobrailDB, StoreNames<JobrailDB>[], 'versionchange'>;

/** Records moved per request by the version 3 step: bounded memory whatever the queue's size. */
const MOVE_BATCH = 1000;

function createJobStore(db: IDBPDatabase<JobrailDB>, name: JobStore): void {
  const store = db.createObjectStore(name, { keyPath: 'id' });
  for (const index of STORE_INDEXES[name]) {
    const spec = INDEXES[index];
    store.createIndex(index, spec.keyPath, { unique: spec.unique, multiEntry: 'multiEntry' in spec && spec.multiEntry });
  }
}

/**
 * Brings a database from `oldVersion` to the current version, step by step, inside the
 * versionchange transaction: if any step fails, the whole upgrade rolls back and the
 * database stays as it was. Policy: a step converts or re-indexes records in place, or the
 * readers keep understanding the older records; no step drops the jobs or payloads store.
 * The returned promise settles when the last request of the steps has been made.
 */
export async function upgrade(db: IDBPDatabase<JobrailDB>, oldVersion: number, tx: UpgradeTx): Promise<void> {
  if (oldVersion < 1) {
    // A new database starts at the current layout.
    for (const store of [ACTIVE, DELAYED, JOBS] as const) createJobStore(db, store);
    db.createObjectStore(META);
    db.createObjectStore(PAYLOADS);
    return;
  }
  if (oldVersion < 2) {
    // Removed in version 2 (see schema.ts); `list` merges per-state walks instead. Records are
    // not rewritten: one without `inline` has its data in `payloads`, which is where version 1
    // kept all data, so the upgrade costs the two index deletions, not a pass over every job.
    const jobs = tx.objectStore(JOBS);
    for (const index of ['seq', 'name']) jobs.deleteIndex(index as IndexName);
  }
  if (oldVersion < 3) {
    // Version 3: unfinished jobs move out of `jobs` into `active` and `delayed`, which also
    // carry the outbox gates' indexes (`group`, `deps`, `expiry`: no older record has their
    // key fields, so they start empty); finished ones, usually the most, stay where they are. Records move as stored (their index keys already
    // say where they belong), found through the version 2 indexes that cover them: `ready`,
    // `due` and the `processing` part of `state`. Then `jobs` drops the two indexes that only
    // unfinished jobs were in.
    createJobStore(db, ACTIVE);
    createJobStore(db, DELAYED);
    const jobs = tx.objectStore(JOBS);
    const sources: [IndexName, IDBKeyRange | undefined][] = [
      ['ready', undefined],
      ['due', undefined],
      ['state', IDBKeyRange.bound(['processing'], ['processing', []])],
    ];
    for (const [index, range] of sources) {
      for (;;) {
        const batch = await jobs.index(index).getAll(range, MOVE_BATCH);
        for (const rec of batch) {
          // Never back into `jobs`: that put would be undone by the delete that follows.
          const to = tierOf(rec) === DELAYED ? DELAYED : ACTIVE;
          void tx.objectStore(to).put(rec);
          void jobs.delete(rec.id);
        }
        if (batch.length < MOVE_BATCH) break;
      }
    }
    jobs.deleteIndex('ready');
    jobs.deleteIndex('due');
  }
}
