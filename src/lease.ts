import { randomToken, type Environment } from './environment.js';
import { registerRunner, runnerLockPrefix } from './runners.js';

export interface AliveOwners {
  /** Runner ids whose Web Lock is held right now. */
  owners: Set<string>;
  /** When the lock table was read: jobs claimed after it may belong to runners not in it. */
  at: number;
}

/**
 * A runner's identity for leases. Where Web Locks exist, the runner holds one lock for its
 * whole life; every job it claims names it as owner. The browser releases the lock the
 * moment the tab closes, reloads or crashes, so other tabs see the owner gone at once and
 * take its jobs over without waiting for a time lease. Fencing tokens (one per claim)
 * keep a runner that lost a job from writing to it.
 */
export class RunnerLease {
  readonly owner: string;
  private release: (() => void) | undefined;
  private disposed = false;
  /** Called once if the browser drops this runner's lock while the runner still runs. */
  onLost: (() => void) | undefined;
  private readonly prefix: string;
  private unregister: (() => void) | undefined;

  constructor(private readonly queue: string, private readonly env: Environment) {
    this.owner = randomToken(env);
    this.prefix = runnerLockPrefix(queue);
  }

  get usesLocks(): boolean {
    return this.env.locks !== undefined;
  }

  /** Takes the runner's lock; resolves once it is held. */
  async acquire(): Promise<void> {
    if (!this.disposed) this.unregister ??= registerRunner(this.queue, this);
    const locks = this.env.locks;
    if (!locks || this.release) return;
    await new Promise<void>((granted) => {
      void locks.request(this.prefix + this.owner, () => {
        granted();
        // Stopped while the request waited: let the lock go at once instead of holding it forever.
        if (this.disposed) return undefined;
        return new Promise<void>((resolve) => {
          this.release = resolve;
        });
      });
    });
  }

  /** Reads which runners of this queue are alive, or undefined without Web Locks. */
  async alive(): Promise<AliveOwners | undefined> {
    const locks = this.env.locks;
    if (!locks) return undefined;
    const at = this.env.now();
    const snapshot = await locks.query();
    const owners = new Set<string>();
    // The lock cannot be trusted once the browser let it go behind our back (WebKit restores
    // a page from the back/forward cache without the locks its code still awaits): other tabs
    // now take this runner's jobs over, so it must not go on as if it held them.
    if (this.release && !this.disposed && !(snapshot.held ?? []).some((l) => l.name === this.lockName)) {
      const lost = this.onLost;
      this.onLost = undefined;
      lost?.();
    }
    for (const lock of snapshot.held ?? []) {
      // `<prefix><owner>` is the runner; `<prefix><owner>/worker:<id>` one of its workers, which
      // may outlive the runner's page by a moment: the runner counts alive while any is held.
      if (lock.name?.startsWith(this.prefix)) owners.add(lock.name.slice(this.prefix.length).split('/')[0] as string);
    }
    return { owners, at };
  }

  /** The name of the Web Lock this runner holds. */
  get lockName(): string {
    return this.prefix + this.owner;
  }

  /** A fresh fencing token for one claim. */
  token(): string {
    return randomToken(this.env);
  }

  dispose(): void {
    this.disposed = true;
    this.unregister?.();
    this.unregister = undefined;
    this.release?.();
    this.release = undefined;
  }
}
