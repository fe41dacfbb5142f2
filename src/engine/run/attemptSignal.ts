/**
 * The signal one attempt of an agent runs under: aborted when the run or the agent's stopper is
 * (with that signal's reason), or when the attempt's time is up (with the TimeoutError reason
 * `AbortSignal.timeout` gives). One controller, one timer and a listener per parent, all released
 * by `dispose()` when the attempt ends.
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
    for (const p of parents) {
      const onAbort = (): void => { dispose(); ctl.abort(p.reason); };
      p.addEventListener('abort', onAbort, { once: true });
      detach.push(() => p.removeEventListener('abort', onAbort));
    }
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
