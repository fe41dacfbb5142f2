import { describe, expect, it } from 'vitest';
import { schedule, type ScheduleNode } from '../../src/engine/run/scheduler';
import type { Tier } from '../../src/engine/types';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function fanOut(domains: number, workers: number, tier: (i: number) => Tier = () => 'haiku'): ScheduleNode[] {
  const nodes: ScheduleNode[] = [];
  for (let d = 0; d < domains; d++) {
    const id = String.fromCharCode(97 + d);
    const ws = Array.from({ length: workers }, (_, i) => `${id}${i + 1}`);
    ws.forEach((w, i) => nodes.push({ id: w, tier: tier(d * workers + i), dependsOn: [], priority: 0, depth: 0 }));
    nodes.push({ id: `coord-${id}`, tier: 'sonnet', dependsOn: ws, priority: 1, depth: 1 });
  }
  nodes.push({ id: 'final', tier: 'sonnet', dependsOn: nodes.filter((n) => n.depth === 1).map((n) => n.id), priority: 2, depth: 2 });
  return nodes;
}

function harness(durations: (id: string) => number) {
  const running = new Set<string>();
  const byTier: Record<string, number> = {};
  const peaks = { overall: 0, tier: {} as Record<string, number> };
  const events: string[] = [];
  const tierOf = new Map<string, Tier>();
  return {
    events, peaks,
    setNodes(nodes: ScheduleNode[]) { for (const n of nodes) tierOf.set(n.id, n.tier); },
    run: async (id: string) => {
      const t = tierOf.get(id)!;
      running.add(id);
      byTier[t] = (byTier[t] ?? 0) + 1;
      peaks.overall = Math.max(peaks.overall, running.size);
      peaks.tier[t] = Math.max(peaks.tier[t] ?? 0, byTier[t]);
      events.push(`start ${id}`);
      await sleep(durations(id));
      events.push(`end ${id}`);
      running.delete(id);
      byTier[t]--;
    },
  };
}

const base = { signal: new AbortController().signal, admit: () => ({ run: true as const }), skip: () => undefined };

describe('scheduler', () => {
  it('never exceeds the global cap or a tier cap', async () => {
    const nodes = fanOut(4, 8, (i) => (['haiku', 'sonnet', 'opus'] as const)[i % 3]);
    const h = harness(() => 5 + Math.random() * 10);
    h.setNodes(nodes);
    const stats = await schedule(nodes, { ...base, maxConcurrent: 8, tierCaps: { haiku: 12, sonnet: 3, opus: 2 }, mode: 'continuous', run: h.run });
    expect(h.peaks.overall).toBeLessThanOrEqual(8);
    expect(h.peaks.tier.sonnet).toBeLessThanOrEqual(3);
    expect(h.peaks.tier.opus).toBeLessThanOrEqual(2);
    expect(h.peaks.overall).toBe(8); // and it does use the slots it has
    expect(stats.peakOverall).toBe(h.peaks.overall);
    expect(h.events.filter((e) => e.startsWith('end')).length).toBe(nodes.length);
  });

  it("starts a finished domain's coordinator while other domains still run", async () => {
    const nodes = fanOut(2, 3);
    const h = harness((id) => (id.startsWith('b') ? 80 : 5));
    h.setNodes(nodes);
    await schedule(nodes, { ...base, maxConcurrent: 8, tierCaps: { haiku: 12, sonnet: 8, opus: 4 }, mode: 'continuous', run: h.run });
    const i = (e: string): number => h.events.indexOf(e);
    expect(i('start coord-a')).toBeLessThan(i('end b1'));
    expect(i('start coord-b')).toBeGreaterThan(i('end b3'));
    expect(i('start final')).toBeGreaterThan(i('end coord-b'));
  });

  it('waves mode waits for a whole batch before starting the next', async () => {
    const nodes = fanOut(2, 4);
    const h = harness((id) => (id === 'a1' ? 60 : 5));
    h.setNodes(nodes);
    await schedule(nodes, { ...base, maxConcurrent: 4, tierCaps: { haiku: 12, sonnet: 8, opus: 4 }, mode: 'waves', run: h.run });
    const i = (e: string): number => h.events.indexOf(e);
    // a1 is slow; in waves mode nothing of the second batch starts before it ends
    expect(i('start b1')).toBeGreaterThan(i('end a1'));
    // and no coordinator starts before every worker ended (a global barrier)
    expect(i('start coord-a')).toBeGreaterThan(i('end b4'));
  });

  it('continuous mode refills a slot the moment it frees', async () => {
    const nodes = fanOut(2, 4);
    const h = harness((id) => (id === 'a1' ? 60 : 5));
    h.setNodes(nodes);
    await schedule(nodes, { ...base, maxConcurrent: 4, tierCaps: { haiku: 12, sonnet: 8, opus: 4 }, mode: 'continuous', run: h.run });
    expect(h.events.indexOf('start b1')).toBeLessThan(h.events.indexOf('end a1'));
  });

  it('skips nodes that admission refuses and still settles the graph', async () => {
    const nodes = fanOut(1, 4);
    const skipped: string[] = [];
    const h = harness(() => 1);
    h.setNodes(nodes);
    await schedule(nodes, {
      ...base, maxConcurrent: 1, tierCaps: { haiku: 1, sonnet: 1, opus: 1 }, mode: 'continuous', run: h.run,
      admit: (id) => (id === 'a3' || id === 'a4' ? { run: false, reason: 'breaker' } : { run: true }),
      skip: (id) => { skipped.push(id); },
    });
    expect(skipped).toEqual(['a3', 'a4']);
    expect(h.events).toContain('start coord-a');
  });

  it('after abort nothing new starts and every unstarted node is skipped as cancelled', async () => {
    const nodes = fanOut(1, 6);
    const ctl = new AbortController();
    const cancelled: string[] = [];
    const h = harness(() => 20);
    h.setNodes(nodes);
    setTimeout(() => ctl.abort(), 5);
    await schedule(nodes, {
      ...base, signal: ctl.signal, maxConcurrent: 2, tierCaps: { haiku: 2, sonnet: 2, opus: 2 }, mode: 'continuous', run: h.run,
      skip: (id, _r, c) => { if (c) cancelled.push(id); },
    });
    expect(h.events.filter((e) => e.startsWith('start'))).toEqual(['start a1', 'start a2']);
    expect(cancelled).toEqual(['a3', 'a4', 'a5', 'a6', 'coord-a', 'final']);
  });
  it('starts the best ready node across tiers: priority first, then plan order', async () => {
    const nodes: ScheduleNode[] = [
      { id: 'h1', tier: 'haiku', dependsOn: [], priority: 0, depth: 0 },
      { id: 'o1', tier: 'opus', dependsOn: [], priority: 0, depth: 0 },
      { id: 's1', tier: 'sonnet', dependsOn: [], priority: 3, depth: 0 },
      { id: 'h2', tier: 'haiku', dependsOn: [], priority: 1, depth: 0 },
    ];
    const h = harness(() => 1);
    h.setNodes(nodes);
    await schedule(nodes, { ...base, maxConcurrent: 1, tierCaps: { haiku: 4, sonnet: 4, opus: 4 }, mode: 'continuous', run: h.run });
    expect(h.events.filter((e) => e.startsWith('start'))).toEqual(['start s1', 'start h2', 'start h1', 'start o1']);
  });

  it('waves mode moves on to the next depth when admission refuses a whole batch', async () => {
    const nodes = fanOut(1, 3);
    const h = harness(() => 1);
    h.setNodes(nodes);
    const skipped: string[] = [];
    await schedule(nodes, {
      ...base, maxConcurrent: 4, tierCaps: { haiku: 4, sonnet: 4, opus: 4 }, mode: 'waves', run: h.run,
      admit: (id) => (id.startsWith('a') ? { run: false, reason: 'budget' } : { run: true }),
      skip: (id) => { skipped.push(id); },
    });
    expect(skipped).toEqual(['a1', 'a2', 'a3']);
    expect(h.events).toEqual(['start coord-a', 'end coord-a', 'start final', 'end final']);
  });

  it('hands the graph back settled when every node is refused', async () => {
    const nodes = fanOut(3, 40);
    const h = harness(() => 1);
    h.setNodes(nodes);
    const skipped: string[] = [];
    const stats = await schedule(nodes, {
      ...base, maxConcurrent: 8, tierCaps: { haiku: 12, sonnet: 8, opus: 4 }, mode: 'continuous', run: h.run,
      admit: () => ({ run: false, reason: 'cap reached' }), skip: (id) => { skipped.push(id); },
    });
    expect(skipped.length).toBe(nodes.length);
    expect(stats.peakOverall).toBe(0);
  });
});

describe('unbounded nodes (batch mode)', () => {
  it('starts every ready unbounded node at once, holding no slot, while bounded ones keep the caps', async () => {
    const gates = new Map<string, () => void>();
    const started: string[] = [];
    let bounded = 0;
    let peakBounded = 0;
    const nodes: ScheduleNode[] = [
      ...Array.from({ length: 20 }, (_, i) => ({ id: `m${i}`, tier: 'haiku' as const, dependsOn: [], priority: 0, depth: 0, unbounded: true })),
      ...Array.from({ length: 4 }, (_, i) => ({ id: `w${i}`, tier: 'haiku' as const, dependsOn: [], priority: 0, depth: 0 })),
      { id: 'r', tier: 'sonnet', dependsOn: ['m0', 'm1'], priority: 1, depth: 1, unbounded: true },
    ];
    const done = schedule(nodes, {
      maxConcurrent: 2, tierCaps: { haiku: 2, sonnet: 1, opus: 1 }, mode: 'continuous', signal: new AbortController().signal,
      admit: () => ({ run: true }), skip: () => undefined,
      run: async (id) => {
        started.push(id);
        const isBounded = id.startsWith('w');
        if (isBounded) { bounded++; peakBounded = Math.max(peakBounded, bounded); }
        await new Promise<void>((resolve) => gates.set(id, resolve));
        if (isBounded) bounded--;
      },
    });
    await sleep(10);
    expect(started.filter((id) => id.startsWith('m'))).toHaveLength(20);
    expect(started.filter((id) => id.startsWith('w'))).toHaveLength(2);
    gates.get('m0')!();
    gates.get('m1')!();
    await sleep(10);
    expect(started).toContain('r');
    for (let round = 0; round < 5; round++) {
      for (const open of gates.values()) open();
      await sleep(5);
    }
    const stats = await done;
    expect(peakBounded).toBe(2);
    expect(stats.peakOverall).toBe(2);
  });

  it('skips ready unbounded nodes as cancelled when the run is aborted', async () => {
    const ac = new AbortController();
    ac.abort();
    const skipped: Array<[string, boolean]> = [];
    await schedule([{ id: 'm1', tier: 'haiku', dependsOn: [], priority: 0, depth: 0, unbounded: true }], {
      maxConcurrent: 1, tierCaps: { haiku: 1, sonnet: 1, opus: 1 }, mode: 'continuous', signal: ac.signal,
      admit: () => ({ run: true }), skip: (id, _r, cancelled) => skipped.push([id, cancelled]), run: () => Promise.resolve(),
    });
    expect(skipped).toEqual([['m1', true]]);
  });
});
