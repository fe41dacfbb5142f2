/**
 * A counting semaphore whose limit can move at run time. p-limit does the global cap; per-model
 * limits must shrink on 429/529 and grow back, which p-limit's fixed concurrency cannot express
 * without clearing its queue, so this small class does that part.
 */
export class AdaptiveLimit {
  private active = 0;
  private readonly waiters: Array<() => void> = [];
  private successes = 0;
  /** Highest concurrency ever reached (for tests and the bench). */
  peak = 0;

  constructor(readonly max: number, private current = max, private readonly growAfter = 4) {}

  get limit(): number { return this.current; }
  get running(): number { return this.active; }

  async acquire(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (this.active < this.current) { this.take(); return; }
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const i = this.waiters.indexOf(wake);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(signal!.reason ?? new Error('aborted'));
      };
      const wake = (): void => { signal?.removeEventListener('abort', onAbort); this.take(); resolve(); };
      this.waiters.push(wake);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  release(): void {
    this.active--;
    this.pump();
  }

  /** Halve the limit (never below 1) after the server said slow down. */
  backOff(): void {
    this.current = Math.max(1, Math.floor(this.current / 2));
    this.successes = 0;
  }

  /** Additive increase: one more slot after `growAfter` consecutive successes, up to the cap. */
  success(): void {
    if (this.current >= this.max) return;
    if (++this.successes >= this.growAfter) {
      this.successes = 0;
      this.current++;
      this.pump();
    }
  }

  private take(): void {
    this.active++;
    if (this.active > this.peak) this.peak = this.active;
  }

  private pump(): void {
    while (this.active < this.current && this.waiters.length) this.waiters.shift()!();
  }
}
