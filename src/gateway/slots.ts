// A bound on agent calls in flight (a local model serves one or two at a time). Waiters are served
// first come, first served; the dispatcher already keeps one call per session, so messages of a
// session still go in order.

export class Slots {
  private busy = 0;
  private readonly waiting: Array<() => void> = [];

  /** limit: calls at once; Infinity for no bound. */
  constructor(private readonly limit: number) {
    if (!(limit >= 1)) throw new RangeError(`a slot limit must be at least 1, got ${limit}`);
  }

  get inUse(): number {
    return this.busy;
  }

  /** Wait for a free slot; resolves to its release function. Rejects with the signal's reason when aborted first. */
  acquire(signal: AbortSignal): Promise<() => void> {
    if (signal.aborted) return Promise.reject(signal.reason);
    if (this.busy < this.limit) {
      this.busy += 1;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      const grant = (): void => {
        signal.removeEventListener('abort', onAbort);
        this.busy += 1;
        resolve(this.releaser());
      };
      const onAbort = (): void => {
        const index = this.waiting.indexOf(grant);
        if (index >= 0) this.waiting.splice(index, 1);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(grant);
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return; // releasing twice must not free a slot someone else holds
      released = true;
      this.busy -= 1;
      this.waiting.shift()?.();
    };
  }
}
