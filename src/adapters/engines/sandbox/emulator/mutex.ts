/** A FIFO async mutex: one critical section at a time, in call order. */
export interface Mutex {
  /** Runs `fn` once every earlier call has settled; resolves or rejects with `fn`'s outcome. */
  run<T>(fn: () => Promise<T>): Promise<T>;
}

/** Creates a mutex; a failing section does not block the ones queued after it. */
export function createMutex(): Mutex {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    run<T>(fn: () => Promise<T>): Promise<T> {
      const result = tail.then(fn);
      tail = result.catch(() => undefined);
      return result;
    },
  };
}
