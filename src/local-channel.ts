/**
 * An in-process stand-in for BroadcastChannel, for memory queues: two queue objects of one
 * name in one runtime see each other's events, and nothing leaves the runtime.
 */
const channels = new Map<string, Set<LocalChannel>>();

export class LocalChannel {
  onmessage: ((event: MessageEvent) => void) | null = null;
  private closed = false;

  constructor(readonly name: string) {
    let set = channels.get(name);
    if (!set) channels.set(name, (set = new Set()));
    set.add(this);
  }

  postMessage(message: unknown): void {
    if (this.closed) return;
    // Alone on the channel (one queue object): nobody to copy the message for.
    if ((channels.get(this.name)?.size ?? 0) < 2) return;
    const copy = structuredClone(message);
    for (const other of channels.get(this.name) ?? []) {
      if (other === this) continue;
      // Asynchronous, like BroadcastChannel, so listeners never run inside the sender's call.
      queueMicrotask(() => {
        if (!other.closed) other.onmessage?.({ data: copy } as MessageEvent);
      });
    }
  }

  close(): void {
    this.closed = true;
    const set = channels.get(this.name);
    set?.delete(this);
    if (set?.size === 0) channels.delete(this.name);
  }
}
