import type { IDBPDatabase, IDBPTransaction, StoreNames } from 'idb';
import { INLINE_MAX_BYTES, keptApart, measureData } from './payload.js';
import type { JobRecord } from './record.js';
import { INDEXES, JOBS, META, PAYLOADS, type IndexName, type JobrailDB } from './schema.js';

type UpgradeTx = IDBPTransaction<JobrailDB, StoreNames<JobrailDB>[], 'versionchange'>;

/**
 * Brings a database from `oldVersion` to the current version, step by step, inside the
 * versionchange transaction: if any step fails, the whole upgrade rolls back and the
 * database stays as it was. Policy: a step converts or re-indexes records in place; it
 * never drops the jobs store.
 */
export function upgrade(db: IDBPDatabase<JobrailDB>, oldVersion: number, tx: UpgradeTx): void {
  if (oldVersion < 1) {
    const jobs = db.createObjectStore(JOBS, { keyPath: 'id' });
    for (const [name, spec] of Object.entries(INDEXES)) {
      jobs.createIndex(name as IndexName, spec.keyPath, { unique: spec.unique });
    }
    db.createObjectStore(META);
    db.createObjectStore(PAYLOADS);
  }
  if (oldVersion >= 1 && oldVersion < 2) {
    const jobs = tx.objectStore(JOBS);
    // Removed in version 2 (see schema.ts); `list` merges per-state walks instead.
    for (const index of ['seq', 'name']) jobs.deleteIndex(index as IndexName);
    // A failed step must not leave a half-converted database behind: abort the upgrade.
    convertRecords(tx).catch(() => {
      try {
        tx.abort();
      } catch {
        // already aborted by the failed request
      }
    });
  }
}

/**
 * 1 → 2: data that is small and holds no Blob moves into its job record (the rest is marked
 * `external`), and the key field of the removed `name` index goes.
 */
async function convertRecords(tx: UpgradeTx): Promise<void> {
  const payloads = tx.objectStore(PAYLOADS);
  let cursor = await tx.objectStore(JOBS).openCursor();
  while (cursor) {
    const { kName: _kName, ...rec } = cursor.value as JobRecord & { kName?: unknown };
    const id = rec.id;
    const data = ((await payloads.get(id)) as { data?: unknown } | undefined)?.data;
    if (keptApart(measureData(data, INLINE_MAX_BYTES))) {
      await cursor.update({ ...rec, external: true });
    } else {
      await cursor.update({ ...rec, data });
      await payloads.delete(id);
    }
    cursor = await cursor.continue();
  }
}
