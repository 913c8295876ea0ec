/**
 * A stand-in for `navigator.locks` (Node has none): exclusive locks by name, held until the
 * callback's promise settles. `drop(prefix)` forgets locks as if their tab had crashed.
 * With `{ manual: true }`, requests wait until `grantAll()`, as a browser grants them later.
 */
export function fakeLocks({ manual = false } = {}): LockManager & { drop(prefix: string): void; heldNames(): string[]; grantAll(): Promise<void> } {
  const held = new Set<string>();
  const waiting: (() => Promise<void>)[] = [];
  const grant = (name: string, callback: (lock: Lock | null) => unknown) => {
    if (held.has(name)) throw new Error(`fakeLocks: ${name} is already held`);
    held.add(name);
    return Promise.resolve(callback({ name, mode: 'exclusive' } as Lock)).finally(() => held.delete(name));
  };
  return {
    request: ((name: string, callback: (lock: Lock | null) => unknown) => {
      if (!manual) return grant(name, callback);
      return new Promise<unknown>((resolve) => waiting.push(async () => resolve(await grant(name, callback))));
    }) as LockManager['request'],
    query: async () => ({ held: [...held].map((name) => ({ name, mode: 'exclusive' as const, clientId: 'test' })), pending: [] }),
    drop(prefix: string) {
      for (const name of [...held]) if (name.startsWith(prefix)) held.delete(name);
    },
    heldNames: () => [...held],
    async grantAll() {
      for (const g of waiting.splice(0)) void g();
      await Promise.resolve();
    },
  };
}
