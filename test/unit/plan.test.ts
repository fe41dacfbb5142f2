import { describe, expect, it } from 'vitest';
import { asStored, checkFanOut as validatePlan, type PlanInput as Plan } from './planFixtures';

const bounds = { domains: { min: 3, max: 5 }, workersPerDomain: { min: 3, max: 8 } };
const exists = (p: string): boolean => ['src', 'docs', 'src/a.ts', 'lib'].includes(p);

function plan(domains = 3, workers = 3): Plan {
  return {
    task: 'Audit the repo', summary: '',
    domains: Array.from({ length: domains }, (_, i) => {
      const id = String.fromCharCode(97 + i);
      return {
        id, name: `Domain ${id}`, brief: 'Look at things carefully',
        workers: Array.from({ length: workers }, (_, j) => ({ id: `${id}${j + 1}`, task: 'Inspect the source files', scope: ['src'], tier: 'haiku' as const })),
      };
    }),
  };
}

describe('plan validation', () => {
  it('accepts a plan inside the bounds whose scopes exist', () => {
    expect(validatePlan(plan(), bounds, exists)).toEqual({ ok: true, plan: asStored(plan()) });
  });

  it('names the count when there are too many domains', () => {
    const r = validatePlan(plan(7), bounds, exists);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors).toContain('Plan has 7 domains; between 3 and 5 are allowed');
  });

  it('rejects a domain with too few workers', () => {
    const p = plan();
    p.domains[1].workers = p.domains[1].workers.slice(0, 2);
    const r = validatePlan(p, bounds, exists);
    expect(!r.ok && r.errors.join()).toMatch(/Domain "b" .* has 2 workers; between 3 and 8/);
  });

  it('rejects an unknown tier with the path of the bad field', () => {
    const p = plan() as unknown as { domains: Array<{ workers: Array<{ tier: string }> }> };
    p.domains[0].workers[0].tier = 'gpt';
    const r = validatePlan(p, bounds, exists);
    expect(!r.ok && r.errors.join()).toMatch(/plan\.domains\.0\.workers\.0\.tier/);
  });

  it('rejects an empty scope and a scope that does not exist', () => {
    const p = plan();
    p.domains[0].workers[0].scope = [];
    p.domains[0].workers[1].scope = ['nope/'];
    const r = validatePlan(p, bounds, exists);
    expect(r.ok).toBe(false);
    const text = !r.ok ? r.errors.join('\n') : '';
    expect(text).toMatch(/scope lists at least one file or folder/);
  });

  it('reports a scope missing from the workspace by name', () => {
    const p = plan();
    p.domains[0].workers[1].scope = ['nope/'];
    const r = validatePlan(p, bounds, exists);
    expect(!r.ok && r.errors).toContain('Worker "a2" has scope "nope/", which does not exist in the workspace');
  });

  it('rejects duplicate ids and ids outside their domain', () => {
    const p = plan();
    p.domains[1].workers[0].id = 'a1';
    const r = validatePlan(p, bounds, exists);
    const text = !r.ok ? r.errors.join('\n') : '';
    expect(text).toMatch(/Worker id "a1" is used twice/);
    expect(text).toMatch(/Worker "a1" is in domain "b"/);
  });
});
