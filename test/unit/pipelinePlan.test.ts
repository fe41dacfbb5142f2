import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/engine/config';
import { compilePipeline } from '../../src/engine/patterns/pipeline/compile';
import type { PipelinePlan } from '../../src/engine/patterns/pipeline/plan';
import { validatePlan } from '../../src/engine/patterns/registry';

const exists = (p: string): boolean => ['src', 'docs', 'src/a.ts', 'lib'].includes(p);
const names = ['Research', 'Outline', 'Draft', 'Review', 'Edit', 'Proof', 'Format', 'Publish', 'Announce'];

function stages(n: number) {
  return Array.from({ length: n }, (_, i) => ({
    id: `s${i + 1}`, name: names[i], task: `Do the ${names[i].toLowerCase()} step of the guide`, scope: i === 0 ? ['src'] : [], tier: 'sonnet' as const,
  }));
}

function check(input: Record<string, unknown>, focus: string[] = []) {
  return validatePlan({ pattern: 'pipeline', task: 'Write a guide', ...input }, { config: parseConfig({}), focus, scopeExists: exists });
}
const errorsOf = (r: ReturnType<typeof check>): string[] => (r.ok ? [] : r.errors);

describe('pipeline plan validation', () => {
  it('accepts 2–8 stages numbered in order, a stage without scope included', () => {
    const r = check({ stages: stages(3) });
    expect(r.ok).toBe(true);
    expect(r.ok && r.pattern.name).toBe('pipeline');
    expect(check({ stages: stages(2) }).ok).toBe(true);
    expect(check({ stages: stages(8) }).ok).toBe(true);
  });

  it('rejects a pipeline of one stage with a message that says why and what to do', () => {
    expect(errorsOf(check({ stages: stages(1) }))).toEqual([
      'Pipeline has 1 stage; at least 2 are needed (a single step is not a pipeline: plan it as one stage of a longer chain, or use another pattern)',
    ]);
    expect(errorsOf(check({ stages: [] }))[0]).toMatch(/^Pipeline has 0 stages; at least 2 are needed/);
  });

  it('rejects more than 8 stages, naming the count', () => {
    expect(errorsOf(check({ stages: stages(9) }))).toEqual(['Pipeline has 9 stages; at most 8 are allowed (merge neighbouring steps)']);
  });

  it('requires ids to be the stage positions, in order', () => {
    const s = stages(3);
    [s[1].id, s[2].id] = ['s3', 's2'];
    expect(errorsOf(check({ stages: s }))).toEqual([
      'Stage 2 (Outline) has id "s3"; stages are numbered in order, so it must be "s2"',
      'Stage 3 (Draft) has id "s2"; stages are numbered in order, so it must be "s3"',
    ]);
    const bad = stages(2);
    bad[0].id = 'a1';
    expect(errorsOf(check({ stages: bad })).join()).toMatch(/plan\.stages\.0\.id.*stage id is "s" and its position, like s1/);
  });

  it('checks scopes exist and lie inside the focus, with the shared scope check', () => {
    const s = stages(2);
    s[0].scope = ['nope'];
    s[1].scope = ['docs'];
    expect(errorsOf(check({ stages: s }, ['src']))).toEqual([
      'Stage "s1" has scope "nope", outside the focus (src); use only paths inside it',
      'Stage "s2" has scope "docs", outside the focus (src); use only paths inside it',
    ]);
    expect(errorsOf(check({ stages: s }))).toEqual(['Stage "s1" has scope "nope", which does not exist in the workspace']);
  });

  it('rejects unknown fields and fan-out fields in a pipeline plan', () => {
    expect(errorsOf(check({ stages: stages(2), domains: [] })).join()).toMatch(/domains/);
  });
});

describe('pipeline compile', () => {
  it('chains each stage to the one before it only, the final to the last stage only, one group per stage in order', () => {
    const r = check({ stages: stages(3) });
    if (!r.ok) throw new Error(r.errors.join());
    const { agents, groups } = compilePipeline(r.plan as PipelinePlan, parseConfig({}));
    expect(agents.map((a) => ({ id: a.id, role: a.role, domain: a.domain, dependsOn: a.dependsOn, outputFile: a.outputFile }))).toEqual([
      { id: 's1', role: 'stage', domain: 's1', dependsOn: [], outputFile: 'stages/s1.md' },
      { id: 's2', role: 'stage', domain: 's2', dependsOn: ['s1'], outputFile: 'stages/s2.md' },
      { id: 's3', role: 'stage', domain: 's3', dependsOn: ['s2'], outputFile: 'stages/s3.md' },
      { id: 'final', role: 'final', domain: null, dependsOn: ['s3'], outputFile: 'summary.md' },
    ]);
    expect(groups).toEqual([{ id: 's1', label: 'Research' }, { id: 's2', label: 'Outline' }, { id: 's3', label: 'Draft' }]);
    expect(agents[0].scope).toEqual(['src']);
    expect(agents[1].modelRequested).toBe(parseConfig({}).models.sonnet);
  });
});
