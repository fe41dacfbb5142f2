import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/engine/config';
import { validatePlan } from '../../src/engine/patterns/registry';
import { compileSupervisor } from '../../src/engine/patterns/supervisor/compile';
import type { SupervisorPlan } from '../../src/engine/patterns/supervisor/plan';
import { checkFinish, checkSpawn, type SpawnStanding } from '../../src/engine/patterns/supervisor/tools';

const config = parseConfig({});
const exists = (p: string) => ['src', 'src/api', 'docs'].includes(p);
const limits = { rounds: 3, perRound: 2, workers: 3, tokens: 100_000 };
const standing: SpawnStanding = { round: 1, spawned: 0, tokensUsed: 0, runBudget: null };
const place = { focus: ['src'], exists };
const order = (scope = ['src/api']) => ({ task: 'Review the API handlers', scope, tier: 'haiku' });

describe('supervisor plan', () => {
  it('fills the default limits, caps them at the engine ceilings and checks areas against the workspace and focus', () => {
    const ok = validatePlan({ pattern: 'supervisor', task: 't', brief: 'Survey, then dig.', areas: ['src'] }, { config, focus: [], scopeExists: exists });
    expect(ok.ok && (ok.plan as SupervisorPlan).limits).toEqual({ rounds: 4, perRound: 4, workers: 12, tokens: 2_000_000 });
    const bad = validatePlan({ pattern: 'supervisor', task: 't', brief: 'Survey, then dig.', areas: ['docs', 'nope'], limits: { rounds: 11, perRound: 5, workers: 4 } },
      { config, focus: ['src'], scopeExists: exists });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.errors).toEqual(['plan.limits.rounds: Too big: expected number to be <=10']);
    const scopes = validatePlan({ pattern: 'supervisor', task: 't', brief: 'Survey, then dig.', areas: ['docs', 'src/nope'], limits: { perRound: 5, workers: 4 } },
      { config, focus: ['src'], scopeExists: exists });
    expect(!scopes.ok && scopes.errors).toEqual([
      'The supervisor has scope "docs", outside the focus (src); use only paths inside it',
      'The supervisor has scope "src/nope", which does not exist in the workspace',
      'limits.perRound is 5 but limits.workers is 4; a round cannot spawn more than the run may',
    ]);
  });

  it('compiles to round 1 alone, in its own group', () => {
    const plan = { pattern: 'supervisor', task: 't', reason: '', focus: [], brief: 'b', areas: ['src'], tier: 'sonnet', limits } as SupervisorPlan;
    const { agents, groups } = compileSupervisor(plan, config);
    expect(agents.map((a) => [a.id, a.role, a.domain, a.outputFile, a.dependsOn])).toEqual([['sup-1', 'supervisor', 'r1', 'supervisor/round-1.md', []]]);
    expect(groups).toEqual([{ id: 'r1', label: 'Round 1' }]);
  });
});

describe('spawn_workers checks', () => {
  it('accepts workers within every cap', () => {
    expect(checkSpawn({ workers: [order(), order(['src'])] }, limits, standing, place)).toEqual({ ok: true, value: [order(), order(['src'])] });
  });

  it('refuses, naming the cap: per round, in all, rounds, tokens, the run budget', () => {
    const err = (input: unknown, s = standing) => { const r = checkSpawn(input, limits, s, place); return r.ok ? null : r.error; };
    expect(err({ workers: [order(), order(), order()] })).toBe('spawn_workers refused: per-round cap — asked for 3 workers; at most 2 may be spawned in one round (limits.perRound)');
    expect(err({ workers: [order(), order()] }, { ...standing, spawned: 2 })).toMatch(/spawn cap — 2 of at most 3 workers already spawned \(limits\.workers\); asked for 2 more, at most 1 can still be spawned$/);
    expect(err({ workers: [order()] }, { ...standing, spawned: 3 })).toMatch(/none can be spawned any more: call finish$/);
    expect(err({ workers: [order()] }, { ...standing, round: 3 })).toMatch(/round cap reached — this is round 3 of at most 3 \(limits\.rounds\)/);
    expect(err({ workers: [order()] }, { ...standing, tokensUsed: 100_000 })).toMatch(/token budget reached — the run has used 100000 of 100000 tokens \(limits\.tokens\)/);
    expect(err({ workers: [order()] }, { ...standing, runBudget: "the run's cost cap is reached" })).toBe("spawn_workers refused: the run's cost cap is reached; call finish");
  });

  it('refuses bad input and scopes outside the focus or the workspace, whole', () => {
    const r = checkSpawn({ workers: [order(['docs']), order(['src/gone'])] }, limits, standing, place);
    expect(r).toEqual({ ok: false, error: 'spawn_workers refused: workers[0] has scope "docs", outside the focus (src); workers[1] has scope "src/gone", which does not exist in the workspace or may not be read' });
    const shape = checkSpawn({ workers: [{ task: 'x', scope: [], tier: 'gpt' }] }, limits, standing, place);
    expect(shape.ok).toBe(false);
    expect(!shape.ok && shape.error).toMatch(/^spawn_workers refused: input\.workers\.0\.task: task must say what to do/);
    expect(checkFinish({ summary: 'short' })).toEqual({ ok: false, error: 'finish refused: input.summary: the summary must answer the task (20+ characters)' });
  });
});
