import { describe, expect, it } from 'vitest';
import { AdaptiveLimit } from '../../src/engine/model/limiter';
import { FakeClock, settle } from './fakeClock';

function gate(max: number, growAfter = 4) {
  const clock = new FakeClock();
  return { clock, limit: new AdaptiveLimit(max, { clock, growAfter }) };
}

/** Starts `n` acquisitions and reports which have been granted so far. */
function request(limit: AdaptiveLimit, n: number, signal?: AbortSignal) {
  const granted: number[] = [];
  const errors: number[] = [];
  for (let i = 0; i < n; i++) limit.acquire(signal).then(() => granted.push(i), () => errors.push(i));
  return { granted, errors };
}

describe('AdaptiveLimit', () => {
  it('never runs more than its limit and hands freed slots out in arrival order', async () => {
    const { limit } = gate(2);
    const r = request(limit, 5);
    await settle();
    expect(r.granted).toEqual([0, 1]);
    limit.release();
    await settle();
    expect(r.granted).toEqual([0, 1, 2]);
    expect(limit.running).toBe(2);
    expect(limit.peak).toBe(2);
  });

  it('halves on a slow-down, never below 1', () => {
    const { limit } = gate(8);
    let epoch = 0;
    const cuts: number[] = [];
    for (let i = 0; i < 5; i++) { limit.backOff(epoch++); cuts.push(limit.limit); }
    expect(cuts).toEqual([4, 2, 1, 1, 1]);
  });

  it('treats slow-downs of requests sent together as one episode', async () => {
    const { limit } = gate(8);
    const epochs = await Promise.all([limit.acquire(), limit.acquire(), limit.acquire()]);
    expect(epochs.map((e) => limit.backOff(e))).toEqual([true, false, false]);
    expect(limit.limit).toBe(4);
    limit.release();
    const later = await limit.acquire();
    expect(limit.backOff(later)).toBe(true); // sent after the cut: a new episode
    expect(limit.limit).toBe(2);
  });

  it('grows by one slot per streak of successes and never above its cap', async () => {
    const { limit } = gate(3, 2);
    limit.backOff(await limit.acquire());
    expect(limit.limit).toBe(1);
    const seen: number[] = [];
    for (let i = 0; i < 8; i++) { limit.success(); seen.push(limit.limit); }
    expect(seen).toEqual([1, 2, 2, 3, 3, 3, 3, 3]);
  });

  it('admits waiting requests as soon as it grows', async () => {
    const { limit } = gate(2, 1);
    limit.backOff(await limit.acquire());
    const r = request(limit, 1);
    await settle();
    expect(r.granted).toEqual([]);
    limit.success();
    await settle();
    expect(r.granted).toEqual([0]);
  });

  it('holds every new request during a pause, then releases up to its limit', async () => {
    const { clock, limit } = gate(2);
    limit.pauseUntil(clock.now() + 1000);
    const r = request(limit, 3);
    await clock.advance(999);
    expect(r.granted).toEqual([]);
    await clock.advance(1);
    expect(r.granted).toEqual([0, 1]);
    expect(limit.queued).toBe(1);
  });

  it('extends a pause but never shortens one, and ignores a reset time it cannot read', async () => {
    const { clock, limit } = gate(1);
    const start = clock.now();
    limit.pauseUntil(start + 1000);
    limit.pauseUntil(start + 500);
    limit.pauseUntil(Number.NaN);
    expect(limit.pausedUntilMs).toBe(start + 1000);
    const r = request(limit, 1);
    await clock.advance(600);
    limit.pauseUntil(start + 2000);
    await clock.advance(500);
    expect(r.granted).toEqual([]);
    await clock.advance(900);
    expect(r.granted).toEqual([0]);
  });

  it('drops an aborted waiter, and an idle gate keeps no timer', async () => {
    const { clock, limit } = gate(1);
    limit.pauseUntil(clock.now() + 60_000);
    const ac = new AbortController();
    const r = request(limit, 2, ac.signal);
    await settle();
    expect(clock.pending).toBe(1);
    ac.abort();
    await settle();
    expect(r.errors).toEqual([0, 1]);
    expect(limit.queued).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('refuses a cap below 1', () => {
    expect(() => new AdaptiveLimit(0, { clock: new FakeClock() })).toThrow(/at least 1; got 0/);
  });
});
