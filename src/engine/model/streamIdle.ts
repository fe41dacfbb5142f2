/**
 * The idle timer of one streamed response. The request timeout ends when the headers arrive; a
 * server (or proxy) that then goes silent would hold the agent until its own time limit. This
 * fires `onIdle` once no event has arrived for `idleMs`.
 *
 * `touch()` runs once per stream event, so it only stores a timestamp: the timer is re-armed lazily
 * for the remaining time when it fires early, instead of being reset on every event.
 */
import { plural } from '../../shared/words';
export class StreamIdleWatch {
  private last = 0;
  private timer: NodeJS.Timeout | null = null;
  private events = 0;
  /** Set once the watch has fired; the caller tells a stall from a user abort by it. */
  fired = false;

  constructor(private readonly idleMs: number, private readonly onIdle: () => void) {}

  /** Starts watching (when the response headers are in). */
  start(): void {
    this.last = Date.now();
    this.arm(this.idleMs);
  }

  /** An event arrived. */
  touch(): void {
    this.last = Date.now();
    this.events++;
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** What the stall looked like, for the error and the run's log. */
  describe(): string {
    const where = this.events === 0 ? 'after the response headers' : `after ${plural(this.events, 'event')}`;
    return `stream stalled: no event for ${this.idleMs} ms ${where} (streamIdleTimeoutMs); aborted as a transient error`;
  }

  private arm(ms: number): void {
    this.timer = setTimeout(() => {
      const quiet = Date.now() - this.last;
      if (quiet < this.idleMs) { this.arm(this.idleMs - quiet); return; }
      this.timer = null;
      this.fired = true;
      this.onIdle();
    }, ms);
    // An idle timer alone must not keep a CLI process alive.
    this.timer.unref();
  }
}
