/**
 * Coalesces bursts of calls into one. The ledger can fire hundreds of events a second while a
 * fleet runs; views re-render at most once per quiet period (trailing edge) and, with `maxWaitMs`,
 * at least once per `maxWaitMs` so a steady stream still shows progress.
 */
import { Disposable, toDisposable } from './dispose';

export class Debouncer extends Disposable {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private firstScheduledAt: number | undefined;

  constructor(
    private readonly fn: () => void,
    private readonly waitMs: number,
    private readonly maxWaitMs = waitMs * 4,
  ) {
    super();
    this._register(toDisposable(() => {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      this.firstScheduledAt = undefined;
    }));
  }

  schedule(): void {
    if (this._isDisposed) return;
    const now = Date.now();
    this.firstScheduledAt ??= now;
    if (this.timer) clearTimeout(this.timer);
    const wait = Math.min(this.waitMs, Math.max(0, this.firstScheduledAt + this.maxWaitMs - now));
    this.timer = setTimeout(() => this.flush(), wait);
  }

  /** Runs a pending call now (if any). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    const pending = this.firstScheduledAt !== undefined;
    this.timer = undefined;
    this.firstScheduledAt = undefined;
    if (pending && !this._isDisposed) this.fn();
  }
}
