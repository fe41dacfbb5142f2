import type { Clock } from '../../src/engine/types';

/** A clock that moves only when told to: timers fire inside advance(), never on their own. */
export class FakeClock implements Clock {
  private t = 1_000_000;
  private timers: Array<{ at: number; fire: () => void }> = [];

  now(): number { return this.t; }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) { reject(signal.reason); return; }
      const timer = { at: this.t + Math.max(0, ms), fire: () => { signal?.removeEventListener('abort', onAbort); resolve(); } };
      const onAbort = (): void => { this.timers = this.timers.filter((x) => x !== timer); reject(signal!.reason); };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.timers.push(timer);
    });
  }

  /** Timers not yet fired (an idle component should hold none). */
  get pending(): number { return this.timers.length; }

  /** Moves time forward, firing due timers in order and letting their continuations run. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await settle();
      const due = this.timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((x) => x !== due);
      this.t = Math.max(this.t, due.at);
      due.fire();
    }
    this.t = end;
    await settle();
  }
}

/** Lets pending promise continuations run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}
