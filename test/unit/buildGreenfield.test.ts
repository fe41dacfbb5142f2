import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/engine/config';
import { architectureOutline } from '../../src/engine/patterns/build/architect';
import { compileBuild } from '../../src/engine/patterns/build/compile';
import { ownedEntry, ownsFile, sharedErrors, validateBuilders, type BuildPlan, type BuilderSpec } from '../../src/engine/patterns/build/plan';
import { scaffoldPaths } from '../../src/engine/patterns/build/scaffold';
import { validatePlan } from '../../src/engine/patterns/registry';
import { designFromTask, parseArchitecture, renderArchitecture } from '../../src/simulator/roles/greenfield';

const config = parseConfig({});
const ctx = { config, focus: [] as string[], scopeExists: () => true };
const builder = (id: string, owns: string[]): BuilderSpec => ({ id, task: 'Implement the module it owns', owns, tier: 'sonnet' });

describe('greenfield ownership', () => {
  it('keeps a folder entry only when folders are allowed, and a folder owns every file below it', () => {
    expect(ownedEntry('./src/auth/', true)).toBe('src/auth/');
    expect(ownedEntry('./src/auth/', false)).toBe('src/auth');
    expect(ownsFile(['src/auth/'], 'src/auth/tokens/jwt.js')).toBe(true);
    expect(ownsFile(['src/auth/'], 'src/authz.js')).toBe(false);
    expect(ownsFile(['src/a.js'], './src/a.js')).toBe(true);
  });

  it('refuses a folder and a file inside it owned by two builders, and a shared file a builder owns', () => {
    const builders = [builder('b1', ['src/auth/']), builder('b2', ['src/auth/login.js']), builder('b3', ['src/api/'])];
    expect(validateBuilders(builders, ctx)).toEqual([
      '"src/auth/" (owned by "b1") already holds "src/auth/login.js" (owned by "b2"); every file has exactly one owner',
    ]);
    expect(sharedErrors(['package.json', 'src/api/types.js', '.env', '../x.js'], builders, ctx)).toEqual([
      'Shared file "src/api/types.js" is also owned by "b3"; a shared file belongs to the scaffold alone',
      expect.stringMatching(/^Shared file "\.env" .*; the scaffold may not write it$/),
      'Shared file "../x.js": shared files are workspace-relative file paths without ".."',
    ]);
  });
});

describe('a saved plan', () => {
  it('lets only a greenfield build own folders', () => {
    const plan = (greenfield: boolean) => ({
      pattern: 'build', task: 'Build a billing service', greenfield, base: 'a'.repeat(40),
      scouts: [{ id: 's1', task: 'Find what exists already', scope: ['src'] }],
      builders: [builder('b1', ['src/billing/'])], shared: ['package.json'],
    });
    expect(validatePlan(plan(true), { ...ctx, scopeExists: () => true })).toMatchObject({ ok: true });
    expect(validatePlan(plan(false), { ...ctx, scopeExists: () => true })).toMatchObject({
      ok: false, errors: ['Builder "b1" owns "src/billing/", a folder; only a greenfield build\'s builders own folders, so list the files instead'],
    });
  });
});

describe('greenfield compile', () => {
  const plan = (greenfield: boolean): BuildPlan => ({
    pattern: 'build', task: 'Build a billing service', reason: '', focus: [], brief: '', base: 'a'.repeat(40), greenfield,
    scouts: [{ id: 's1', task: 'Find what exists already', scope: ['.'] }],
    builders: [builder('b1', ['src/billing/']), builder('b2', ['src/cli/'])], shared: ['package.json'],
  });

  it('adds the architect and the scaffold, and makes every builder wait for the scaffold', () => {
    const { agents, groups } = compileBuild(plan(true), config);
    expect(agents.find((a) => a.id === 'architect')).toMatchObject({ role: 'architect', tier: 'opus', outputFile: 'architecture.md' });
    expect(agents.find((a) => a.id === 'scaffold')).toMatchObject({ role: 'scaffolder', dependsOn: [], scope: ['package.json', 'src/billing/', 'src/cli/'] });
    for (const id of ['b1', 'b2']) expect(agents.find((a) => a.id === id)!.dependsOn).toEqual(['scaffold']);
    expect(groups.map((g) => g.id)).toContain('design');
    expect(scaffoldPaths(plan(true))).toEqual(['package.json', 'src/billing/', 'src/cli/']);
  });

  it('leaves a build that is not greenfield as it was', () => {
    const { agents } = compileBuild(plan(false), config);
    expect(agents.map((a) => a.id)).not.toContain('scaffold');
    expect(agents.find((a) => a.id === 'b1')!.dependsOn).toEqual([]);
  });
});

describe('architecture.md', () => {
  it('outlines its headings by level, skipping fenced code', () => {
    expect(architectureOutline('# Architecture: x\n\n## Modules\n```\n# not a heading\n```\n### auth\n')).toEqual(['Architecture: x', '  Modules', '    auth']);
  });

  it('the simulator designs modules from the task and reads its own file back, headings shifted or not', () => {
    const d = designFromTask('Build a small billing service with auth, API and a CLI');
    expect(d.modules.map((m) => [m.name, m.owns])).toEqual([['billing', 'src/billing/'], ['auth', 'src/auth/'], ['api', 'src/api/'], ['cli', 'src/cli/']]);
    const text = renderArchitecture('Build a small billing service with auth, API and a CLI', d);
    const back = parseArchitecture(text.replace(/^(#+ )/gm, '##$1'));
    expect(back.modules.map((m) => [m.name, m.owns, m.fns.map((f) => f.name)])).toEqual(d.modules.map((m) => [m.name, m.owns, m.fns.map((f) => f.name)]));
    expect(back.shared.map((s) => s.path)).toEqual(['package.json', 'src/types.js']);
  });
});
