import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/engine/config';
import { estimateRun } from '../../src/engine/ledger/estimate';
import { fanOut } from '../../src/engine/patterns/fan-out';
import { compileFanOut } from '../../src/engine/patterns/fan-out/compile';
import { asStored, type PlanInput as Plan } from './planFixtures';
import type { Tier } from '../../src/engine/types';

function plan(workersPerDomain: number[], tier: Tier = 'sonnet'): Plan {
  return {
    task: 'Audit the service', summary: '',
    domains: workersPerDomain.map((n, d) => {
      const id = String.fromCharCode(97 + d);
      return { id, name: `Domain ${id}`, brief: 'Covers one area of the service.', workers: Array.from({ length: n }, (_, i) => ({ id: `${id}${i + 1}`, task: 'Review error handling', scope: ['src'], tier })) };
    }),
  };
}

function estimate(p: Plan, config: Record<string, unknown> = {}) {
  const c = parseConfig(config);
  return estimateRun(compileFanOut(asStored(p), c).agents, c, fanOut);
}

describe('estimateRun', () => {
  it('gives a range: low never above high, for tokens and for cost', () => {
    const e = estimate(plan([8, 8, 7, 7]));
    expect(e.tokensLow).toBeGreaterThan(0);
    expect(e.tokensLow).toBeLessThan(e.tokensHigh);
    expect(e.costLowUsd).toBeGreaterThan(0);
    expect(e.costLowUsd).toBeLessThan(e.costHighUsd);
  });

  it('counts the same tokens with prompt caching on or off, and a lower cost with it on', () => {
    const on = estimate(plan([8, 8]), { promptCaching: true });
    const off = estimate(plan([8, 8]), { promptCaching: false });
    expect(on.tokensLow).toBe(off.tokensLow);
    expect(on.tokensHigh).toBe(off.tokensHigh);
    expect(on.costLowUsd).toBeLessThan(off.costLowUsd);
    expect(on.costHighUsd).toBeLessThan(off.costHighUsd);
  });

  it('grows a coordinator with the number of worker reports it reads', () => {
    const c = parseConfig({});
    const coordinator = compileFanOut(asStored(plan([8])), c).agents.find((a) => a.role === 'coordinator')!;
    const reads = (n: number) => estimateRun([{ ...coordinator, dependsOn: coordinator.dependsOn.slice(0, n) }], c, fanOut);
    expect(reads(8).tokensLow).toBeGreaterThan(reads(2).tokensLow);
    expect(reads(8).tokensHigh).toBeGreaterThan(reads(2).tokensHigh);
  });

  it('prices each tier at its own model', () => {
    expect(estimate(plan([4], 'opus')).costHighUsd).toBeGreaterThan(estimate(plan([4], 'haiku')).costHighUsd);
  });

  it('counts the tokens of a model without a price and no cost for it', () => {
    const c = { models: { haiku: 'claude-haiku-5-5', sonnet: 'someone-elses-model', opus: 'claude-opus-5-5' } };
    const e = estimate(plan([3]), c);
    expect(e.tokensHigh).toBe(estimate(plan([3])).tokensHigh);
    expect(e.costLowUsd).toBe(0);
    expect(e.costHighUsd).toBe(0);
  });
});
