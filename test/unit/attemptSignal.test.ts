import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { attemptSignal } from '../../src/engine/run/attemptSignal';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe("an attempt's signal", () => {
  it("follows whichever parent aborts first, with that parent's reason", () => {
    const run = new AbortController();
    const stop = new AbortController();
    const a = attemptSignal([run.signal, stop.signal], 60_000);
    expect(a.signal.aborted).toBe(false);
    stop.abort('stopped by the user');
    expect(a.signal.aborted).toBe(true);
    expect(a.signal.reason).toBe('stopped by the user');
    expect(a.timedOut).toBe(false);
    // Aborting detached it from the other parent too.
    expect(getEventListeners(run.signal, 'abort')).toHaveLength(0);
    a.dispose();
  });

  it('starts aborted when a parent already is', () => {
    const run = new AbortController();
    run.abort(new Error('run cancelled'));
    const a = attemptSignal([run.signal, new AbortController().signal], 60_000);
    expect(a.signal.aborted).toBe(true);
    expect((a.signal.reason as Error).message).toBe('run cancelled');
    expect(a.timedOut).toBe(false);
  });

  it('aborts with a TimeoutError when the time is up, and says so', async () => {
    const run = new AbortController();
    const a = attemptSignal([run.signal], 20);
    await sleep(60);
    expect(a.signal.aborted).toBe(true);
    expect(a.timedOut).toBe(true);
    expect(a.signal.reason).toMatchObject({ name: 'TimeoutError' });
    expect(getEventListeners(run.signal, 'abort')).toHaveLength(0);
  });

  it('once disposed, neither a parent nor the time limit aborts it, and nothing stays on the parents', async () => {
    const run = new AbortController();
    const stop = new AbortController();
    const a = attemptSignal([run.signal, stop.signal], 20);
    expect(getEventListeners(run.signal, 'abort')).toHaveLength(1);
    a.dispose();
    a.dispose();
    expect(getEventListeners(run.signal, 'abort')).toHaveLength(0);
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
    run.abort();
    await sleep(60);
    expect(a.signal.aborted).toBe(false);
    expect(a.timedOut).toBe(false);
  });

  it('puts one listener on the run\'s signal however many attempts run at once, and none once they end', () => {
    const run = new AbortController();
    const attempts = Array.from({ length: 50 }, () => attemptSignal([run.signal, new AbortController().signal], 60_000));
    expect(getEventListeners(run.signal, 'abort')).toHaveLength(1);
    for (const a of attempts.slice(0, 49)) a.dispose();
    expect(getEventListeners(run.signal, 'abort')).toHaveLength(1);
    attempts[49].dispose();
    expect(getEventListeners(run.signal, 'abort')).toHaveLength(0);
  });

  it('aborts every attempt on the run\'s signal through that one listener, each with the run\'s reason', () => {
    const run = new AbortController();
    const attempts = Array.from({ length: 20 }, () => attemptSignal([run.signal], 60_000));
    const late = attemptSignal([run.signal], 60_000);
    late.dispose();
    run.abort('cancelled');
    expect(attempts.every((a) => a.signal.aborted && a.signal.reason === 'cancelled')).toBe(true);
    expect(late.signal.aborted).toBe(false);
    expect(getEventListeners(run.signal, 'abort')).toHaveLength(0);
    // A new attempt after the abort starts aborted, as with any aborted parent.
    expect(attemptSignal([run.signal], 60_000).signal.aborted).toBe(true);
  });
});
