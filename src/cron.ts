/**
 * croner, loaded on first use. It is about a third of the library's bytes, and only
 * schedules with a cron spec need it: the import is dynamic so that bundlers put it in a
 * chunk of its own, fetched the first time such a schedule is saved or fired.
 *
 * Schedule code runs inside transactions, where nothing but storage may be awaited, so the
 * module is loaded before a transaction starts ({@link loadCron}) and read synchronously
 * inside it ({@link cronModule}).
 */
type CronModule = typeof import('croner');

let loaded: CronModule | undefined;
let loading: Promise<CronModule> | undefined;

/** Loads croner once; later calls resolve with the same module. */
export function loadCron(): Promise<CronModule> {
  if (loaded) return Promise.resolve(loaded);
  loading ??= import('croner').then(
    (mod) => (loaded = mod),
    (error: unknown) => {
      loading = undefined; // a failed chunk fetch (offline) may succeed later
      throw error;
    },
  );
  return loading;
}

/** The loaded module; throws if {@link loadCron} has not resolved yet (a bug in jobrail). */
export function cronModule(): CronModule {
  if (!loaded) throw new Error('jobrail internal error: croner used before loadCron() resolved');
  return loaded;
}
