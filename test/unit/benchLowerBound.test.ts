import { describe, expect, it } from 'vitest';
import { lowerBound, type BoundAgent } from '../bench/lowerBound';

const caps = { maxConcurrent: 4, tierCaps: { haiku: 8, sonnet: 2, opus: 1 } };

function graph(): BoundAgent[] {
  return [
    { id: 'a1', role: 'worker', domain: 'a', tier: 'haiku' },
    { id: 'a2', role: 'worker', domain: 'a', tier: 'opus' },
    { id: 'coord-a', role: 'coordinator', domain: 'a', tier: 'sonnet' },
    { id: 'b1', role: 'worker', domain: 'b', tier: 'haiku' },
    { id: 'coord-b', role: 'coordinator', domain: 'b', tier: 'sonnet' },
    { id: 'final', role: 'final', domain: null, tier: 'sonnet' },
  ];
}

describe('bench lower bound', () => {
  it('takes the critical path through the longest worker of each domain, its coordinator, then the final', () => {
    const busy = new Map([['a1', 10], ['a2', 30], ['coord-a', 5], ['b1', 40], ['coord-b', 1], ['final', 2]]);
    const lb = lowerBound(graph(), busy, { maxConcurrent: 100, tierCaps: { haiku: 100, sonnet: 100, opus: 100 } });
    expect(lb.criticalPathMs).toBe(43); // b1 40 + coord-b 1 + final 2 (a: 30 + 5 + 2 = 37)
    expect(lb.ms).toBe(43);
    expect(lb.binding).toBe('critical path');
  });

  it('divides each tier by its cap, and never by more than the global cap', () => {
    const busy = new Map([['a1', 40], ['a2', 30], ['coord-a', 10], ['b1', 40], ['coord-b', 10], ['final', 10]]);
    const lb = lowerBound(graph(), busy, caps);
    expect(lb.globalMs).toBe(140 / 4);
    expect(lb.tierMs).toEqual({ haiku: 80 / 4, sonnet: 30 / 2, opus: 30 / 1 });
    expect(lb.ms).toBe(Math.max(lb.criticalPathMs, lb.globalMs, 30));
  });
});
