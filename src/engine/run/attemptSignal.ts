/**
 * The signal one attempt of an agent runs under: aborted when the run or the agent's stopper is
 * (with that signal's reason), or when the attempt's time is up (with the TimeoutError reason
 * `AbortSignal.timeout` gives). One controller and one timer per attempt, released by `dispose()`
 * when the attempt ends.
 *
 * Every running agent's attempt hangs off the same run signal. A listener each would put as many
 * listeners on it as agents run at once (Node warns past 10: "MaxListenersExceededWarning: 11 abort
 * listeners added to [AbortSignal]" at `maxConcurrent` 32), so a shared parent gets one listener
 * that fans out to the attempts subscribed to it, and loses it when the last one detaches.
 *
 * Why not `AbortSignal.any([run, AbortSignal.timeout(ms), stop])`: on Node 20 that leaves, per
 * attempt, a timer pending for the whole time limit, a weak reference on the run's signal and
 * finalization-registry entries, which go only when a full GC collects the signals (and Node 20's
 * AbortSignals outlive every young-generation GC). At 1,000 agents they were a steady share of the
 * engine's old-generation growth.
 */
export interface AttemptSignal {
  readonly signal: AbortSignal;
  /** True once the time limit, not a parent, aborted the signal. */
  readonly timedOut: boolean;
  /** Stops the timer and detaches from the parents; the signal stays as it is. Safe to call twice. */
  dispose(): void;
}

export function attemptSignal(parents: readonly AbortSignal[], timeoutMs: number): AttemptSignal {
  const ctl = new AbortController();
  let timedOut = false;
  let timer: NodeJS.Timeout | null = null;
  const detach: (() => void)[] = [];
  const dispose = (): void => {
    if (timer) { clearTimeout(timer); timer = null; }
    for (const d of detach.splice(0)) d();
  };
  const already = parents.find((p) => p.aborted);
  if (already) {
    ctl.abort(already.reason);
  } else {
    for (const p of parents) detach.push(subscribe(p, () => { dispose(); ctl.abort(p.reason); }));
    timer = setTimeout(() => {
      timedOut = true;
      dispose();
      ctl.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
    }, timeoutMs);
    // Like AbortSignal.timeout's timer: a time limit alone must not keep a CLI process alive.
    timer.unref();
  }
  return {
    signal: ctl.signal,
    get timedOut() { return timedOut; },
    dispose,
  };
}

/** A parent signal's one listener, and the attempts it calls when the parent aborts. */
class Fanout {
  private readonly subscribers = new Set<() => void>();
  constructor(private readonly signal: AbortSignal) {
    signal.addEventListener('abort', this.fire, { once: true });
  }
  private readonly fire = (): void => {
    fanouts.delete(this.signal);
    const called = [...this.subscribers];
    this.subscribers.clear();
    for (const f of called) f();
  };
  add(onAbort: () => void): () => void {
    this.subscribers.add(onAbort);
    return () => {
      if (!this.subscribers.delete(onAbort) || this.subscribers.size > 0) return;
      // The last attempt to leave takes the listener with it: an idle signal holds none.
      this.signal.removeEventListener('abort', this.fire);
      if (fanouts.get(this.signal) === this) fanouts.delete(this.signal);
    };
  }
}

const fanouts = new WeakMap<AbortSignal, Fanout>();

/** Calls `onAbort` once when `signal` (not aborted yet) aborts; returns the detach. */
function subscribe(signal: AbortSignal, onAbort: () => void): () => void {
  let fanout = fanouts.get(signal);
  if (!fanout) { fanout = new Fanout(signal); fanouts.set(signal, fanout); }
  return fanout.add(onAbort);
}
