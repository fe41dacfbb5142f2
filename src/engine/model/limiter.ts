import type { Clock } from '../types';

export interface AdaptiveLimitOptions {
  /** Time source and timer for pauses. */
  clock: Clock;
  /** Consecutive successes that earn one more slot (default 4). */
  growAfter?: number;
}

interface Waiter {
  wake(): void;
}

/**
 * One model's request gate: a counting semaphore whose limit moves at run time and which can be
 * paused. p-limit does the scheduler's fixed caps; this limit must shrink when the server says
 * slow down (429/529) and grow back as calls succeed, which p-limit's fixed concurrency cannot
 * express without clearing its queue.
 *
 * Invariants: `running` never exceeds `limit`, `limit` stays within [1, max], and while a pause
 * lasts no request starts (requests already sent are not affected).
 */
export class AdaptiveLimit {
  private active = 0;
  private current: number;
  private readonly waiters: Waiter[] = [];
  private successes = 0;
  /** Bumped on every cut: slow-downs for requests sent before the last cut belong to the same episode. */
  private epoch = 0;
  private pausedUntil = 0;
  private timer: AbortController | null = null;
  private readonly clock: Clock;
  private readonly growAfter: number;
  /** Highest concurrency ever reached (for tests and the bench). */
  peak = 0;

  constructor(readonly max: number, opts: AdaptiveLimitOptions) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`AdaptiveLimit needs a cap of at least 1; got ${max}`);
    this.current = max;
    this.clock = opts.clock;
    this.growAfter = opts.growAfter ?? 4;
  }

  get limit(): number { return this.current; }
  get running(): number { return this.active; }
  get queued(): number { return this.waiters.length; }
  /** Epoch ms before which no request starts (0 or past: not paused). */
  get pausedUntilMs(): number { return this.pausedUntil; }

  /**
   * Waits for a slot. Resolves with the congestion epoch the request goes out in; pass it back to
   * `backOff` if the request is told to slow down.
   */
  async acquire(signal?: AbortSignal): Promise<number> {
    signal?.throwIfAborted();
    if (this.waiters.length === 0 && this.canStart()) return this.take();
    return new Promise<number>((resolve, reject) => {
      const waiter: Waiter = {
        wake: () => { signal?.removeEventListener('abort', onAbort); resolve(this.take()); },
      };
      const onAbort = (): void => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        if (this.waiters.length === 0) this.disarm();
        reject(signal!.reason ?? new Error('aborted'));
      };
      this.waiters.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pump();
    });
  }

  release(): void {
    this.active--;
    this.pump();
  }

  /**
   * Multiplicative decrease after the server said slow down: halves the limit (never below 1), once
   * per congestion episode. A burst of 429s for requests that were all in flight together is one
   * signal, not one per request, so only a request sent in the current epoch cuts. Returns whether it did.
   */
  backOff(sentInEpoch: number): boolean {
    if (sentInEpoch !== this.epoch) return false;
    this.epoch++;
    this.current = Math.max(1, Math.floor(this.current / 2));
    this.successes = 0;
    return true;
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

  /** No request starts before `until` (epoch ms). Extends a pause, never shortens one. */
  pauseUntil(until: number): void {
    if (!Number.isFinite(until) || until <= this.pausedUntil) return;
    this.pausedUntil = until;
    this.pump();
  }

  private canStart(): boolean {
    return this.active < this.current && this.clock.now() >= this.pausedUntil;
  }

  private take(): number {
    this.active++;
    if (this.active > this.peak) this.peak = this.active;
    return this.epoch;
  }

  private pump(): void {
    while (this.waiters.length && this.canStart()) this.waiters.shift()!.wake();
    if (this.waiters.length && this.active < this.current) this.arm();
    else if (!this.waiters.length) this.disarm();
  }

  /** One timer for the end of the pause; only while someone waits, so an idle gate holds no timer. */
  private arm(): void {
    if (this.timer) return;
    const timer = new AbortController();
    this.timer = timer;
    this.clock.sleep(Math.max(0, this.pausedUntil - this.clock.now()), timer.signal).then(() => {
      if (this.timer !== timer) return;
      this.timer = null;
      this.pump();
    }, () => undefined);
  }

  private disarm(): void {
    this.timer?.abort();
    this.timer = null;
  }
}
