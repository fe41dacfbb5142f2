import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/engine/config';
import { ASSEMBLE_ID, compileBuild, FIX_ID, INTEGRATION_AGENT_ID, reviewerId } from '../../src/engine/patterns/build/compile';
import { validateBuilders, type BuildPlan, type BuilderSpec } from '../../src/engine/patterns/build/plan';
import { planSchemaOf, patternNamed, validatePlan } from '../../src/engine/patterns/registry';

const config = parseConfig({});
const exists = (p: string): boolean => ['src', 'docs', 'src/a.js'].includes(p);
const ctx = (focus: string[] = []) => ({ config, focus, scopeExists: exists });
const builder = (id: string, owns: string[], over: Partial<BuilderSpec> = {}): BuilderSpec => ({ id, task: 'Add a doc comment to each file', owns, tier: 'haiku', ...over });

describe('build plan validation', () => {
  it('accepts scouts with existing scopes and fills builders and base with empty defaults', () => {
    const r = validatePlan({ pattern: 'build', task: 'Add doc comments', scouts: [{ id: 's1', task: 'Find the files to change', scope: ['src'] }] }, ctx());
    expect(r.ok).toBe(true);
    expect(r.ok && r.plan).toMatchObject({ builders: [], base: '', brief: '' });
  });

  it('keeps the engine-filled fields out of the planner\'s tool but in plan.json\'s schema', () => {
    const build = patternNamed('build')!;
    expect(Object.keys(build.submitSchema.shape)).toEqual(['brief', 'scouts', 'greenfield']);
    expect(Object.keys(planSchemaOf(build).shape)).toEqual(expect.arrayContaining(['builders', 'base', 'scouts', 'task']));
  });

  it('rejects a scout whose scope is outside the focus or missing, and duplicate ids', () => {
    const r = validatePlan({
      pattern: 'build', task: 'Add doc comments', focus: ['src'],
      scouts: [{ id: 's1', task: 'Find the files to change', scope: ['docs'] }, { id: 's1', task: 'Find the files to change', scope: ['nope'] }],
    }, ctx(['src']));
    expect(r.ok ? [] : r.errors).toEqual([
      'Scout "s1" has scope "docs", outside the focus (src); use only paths inside it',
      'Scout id "s1" is used twice',
      'Scout "s1" has scope "nope", outside the focus (src); use only paths inside it',
    ]);
  });

  it('gives every file exactly one owner (case-folded, ./ ignored)', () => {
    expect(validateBuilders([builder('b1', ['src/a.js']), builder('b2', ['./src/A.js'])], ctx())).toEqual([
      '"./src/A.js" is owned by both "b1" and "b2"; every file has exactly one owner',
    ]);
    expect(validateBuilders([builder('b1', ['src/a.js', 'src/a.js'])], ctx())).toEqual(['Builder "b1" lists "src/a.js" twice']);
  });

  it('refuses owned paths a builder may never write', () => {
    const errors = validateBuilders([builder('b1', ['.git/config', '../x.js', '.env', 'node_modules/a/index.js', '.orchestration/r/plan.json', '/etc/passwd'])], ctx());
    expect(errors).toHaveLength(6);
    expect(errors.join('\n')).toMatch(/\.git\/config", which is inside \.git/);
    expect(errors.join('\n')).toMatch(/"\.\.\/x\.js": owned files are workspace-relative paths without "\.\."/);
    expect(errors.join('\n')).toMatch(/"\.env", which looks like a secret file/);
    expect(errors.join('\n')).toMatch(/node_modules/);
    expect(errors.join('\n')).toMatch(/output root/);
    expect(errors.join('\n')).toMatch(/"\/etc\/passwd": owned files are workspace-relative/);
  });

  it('refuses a path owned as a file and as the folder of another owned file', () => {
    expect(validateBuilders([builder('b1', ['lib/x.js']), builder('b2', ['lib'])], ctx())).toEqual([
      '"lib" (owned by "b2") is a folder of "lib/x.js" (owned by "b1"); an owned path is a file',
    ]);
  });

  it('refuses owned files outside the focus and too many builders', () => {
    expect(validateBuilders([builder('b1', ['docs/a.md'])], ctx(['src']))).toEqual(['Builder "b1" owns "docs/a.md", outside the focus (src)']);
    const nine = Array.from({ length: 9 }, (_, i) => builder(`b${i + 1}`, [`src/f${i}.js`]));
    expect(validateBuilders(nine, ctx())).toEqual(['The build has 9 builders; between 1 and 8 are allowed']);
  });
});

describe('build compile', () => {
  it('lays out scouts, builders, a reviewer per builder, then integration → fix → hardeners → assembly', () => {
    const plan: BuildPlan = {
      pattern: 'build', task: 't', reason: '', focus: [], brief: '', base: 'a'.repeat(40),
      scouts: [{ id: 's1', task: 'find', scope: ['src'] }],
      builders: [builder('b1', ['src/a.js']), builder('b2', ['src/b.js'], { tier: 'opus' })],
    };
    const { agents, groups } = compileBuild(plan, config);
    expect(agents.map((a) => `${a.id}:${a.role}:${a.tier}`)).toEqual([
      's1:scout:haiku', 'b1:builder:haiku', 'b2:builder:opus', 'r-b1:reviewer:sonnet', 'r-b2:reviewer:sonnet',
      'integration:integration:haiku', 'fix:fixer:sonnet', 'h-security:hardener:sonnet', 'h-correctness:hardener:sonnet',
      'h-tests:hardener:sonnet', 'h-style:hardener:sonnet', 'assemble:final:haiku',
    ]);
    expect(agents.find((a) => a.id === reviewerId('b2'))!.dependsOn).toEqual(['b2']);
    expect(agents.find((a) => a.id === INTEGRATION_AGENT_ID)!).toMatchObject({ dependsOn: ['b1', 'r-b1', 'b2', 'r-b2'], outputFile: 'integration.md' });
    expect(agents.find((a) => a.id === FIX_ID)!.dependsOn).toEqual([INTEGRATION_AGENT_ID]);
    expect(agents.filter((a) => a.role === 'hardener').every((a) => a.dependsOn.join() === FIX_ID && a.outputFile === `harden/${a.id}.md`)).toBe(true);
    expect(agents.find((a) => a.id === ASSEMBLE_ID)!).toMatchObject({
      dependsOn: [INTEGRATION_AGENT_ID, FIX_ID, 'h-security', 'h-correctness', 'h-tests', 'h-style'], outputFile: 'summary.md',
    });
    expect(agents.find((a) => a.id === ASSEMBLE_ID)!.task).toMatch(/^Hardening on/);
    expect(agents.filter((a) => a.role === 'builder').every((a) => a.dependsOn.length === 0)).toBe(true);
    expect(groups.map((g) => g.label)).toEqual(['Scouts (1)', 'Builders (2)', 'Reviews (2)', 'Harden (4)']);
  });

  it('compiles no hardeners with hardening off, and the plan says it is off', () => {
    const plan: BuildPlan = {
      pattern: 'build', task: 't', reason: '', focus: [], brief: '', base: 'a'.repeat(40), scouts: [], builders: [builder('b1', ['src/a.js'])],
    };
    const { agents, groups } = compileBuild(plan, { ...config, harden: false });
    expect(agents.some((a) => a.role === 'hardener')).toBe(false);
    expect(agents.find((a) => a.id === ASSEMBLE_ID)!).toMatchObject({ dependsOn: [INTEGRATION_AGENT_ID, FIX_ID] });
    expect(agents.find((a) => a.id === ASSEMBLE_ID)!.task).toMatch(/^Hardening off \(setting harden\)/);
    expect(groups.map((g) => g.id)).not.toContain('harden');
  });
});
