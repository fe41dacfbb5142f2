/** Which files a map-reduce run asks, which it leaves out and why, and the graph laid over them. */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/engine/config';
import { PlanInputError } from '../../src/engine/patterns/pattern';
import { layOut, type SelectionFile } from '../../src/engine/patterns/map-reduce/compile';
import type { MapReducePlan } from '../../src/engine/patterns/map-reduce/plan';
import { selectFiles, type SelectOptions } from '../../src/engine/patterns/map-reduce/select';
import { validatePlan } from '../../src/engine/patterns/registry';

let ws: string;
const put = (rel: string, data: string | Buffer): void => {
  mkdirSync(path.dirname(path.join(ws, rel)), { recursive: true });
  writeFileSync(path.join(ws, rel), data);
};

beforeAll(() => {
  ws = mkdtempSync(path.join(tmpdir(), 'mr-select-'));
  put('src/a.ts', '// a\nexport const a = 1;\n');
  put('src/b.ts', 'export const b = 2;\n');
  put('src/sub/c.ts', 'export const c = 3;\n');
  put('src/gen/d.ts', 'export const d = 4;\n');
  put('src/empty.ts', '');
  put('src/big.ts', 'x'.repeat(4_000));
  put('src/img.ts', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0x0d, 1, 2, 3, 0, 0, 0]));
  put('src/secrets.ts', 'export const key = "hunter2";\n');
  put('.ssh/config.ts', 'never read');
  put('node_modules/lib/index.ts', 'export {};\n');
  put('.orchestration/old/x.ts', 'export {};\n');
  put('README.md', '# readme\n');
  symlinkSync(path.join(ws, 'src/a.ts'), path.join(ws, 'src/link.ts'));
});
afterAll(() => rmSync(ws, { recursive: true, force: true }));

const opts = (over: Partial<SelectOptions> = {}): SelectOptions => ({
  workspace: ws, outputRoot: '.orchestration', ignore: {}, include: ['**/*.ts'], exclude: ['src/gen/**'], focus: [], maxFileTokens: 500, ...over,
});

describe('selectFiles', () => {
  it('selects the matching text files and lists every excluded one with its reason', async () => {
    const sel = await selectFiles(opts());
    expect(sel.selected.map((f) => f.path)).toEqual(['src/a.ts', 'src/b.ts', 'src/sub/c.ts']);
    expect(sel.selected[0]).toEqual({ path: 'src/a.ts', bytes: 25, tokens: Math.ceil(25 / 4) + 16 });
    const reasons = Object.fromEntries(sel.excluded.map((e) => [e.path, e.reason]));
    expect(reasons).toEqual({
      '.ssh/': 'secret',
      'src/big.ts': 'too-large',
      'src/empty.ts': 'empty',
      'src/gen/d.ts': 'excluded-glob',
      'src/img.ts': 'binary',
      'src/link.ts': 'duplicate',
      'src/secrets.ts': 'secret',
    });
    expect(sel.excluded.find((e) => e.path === 'src/gen/d.ts')!.detail).toContain('"src/gen/**"');
    expect(sel.excluded.find((e) => e.path === 'src/big.ts')!.detail).toMatch(/over the 500-token mapper budget/);
    expect(sel.excluded.find((e) => e.path === 'src/link.ts')!.detail).toContain('src/a.ts');
  });

  it('stays inside the focus', async () => {
    const sel = await selectFiles(opts({ focus: ['src/sub'] }));
    expect(sel.selected.map((f) => f.path)).toEqual(['src/sub/c.ts']);
    expect(sel.excluded).toEqual([]);
  });

  it('fails planning when the globs match nothing, saying which globs and where', async () => {
    const err = await selectFiles(opts({ include: ['**/*.rs'] })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PlanInputError);
    expect((err as PlanInputError).errors[0]).toMatch(/include globs \["\*\*\/\*\.rs"\].* match no file in the workspace/);
  });

  it('fails planning when every match is excluded, counting the reasons', async () => {
    const err = await selectFiles(opts({ include: ['src/empty.ts', 'src/img.ts'] })).catch((e: unknown) => e);
    expect((err as PlanInputError).errors[0]).toMatch(/select no readable text file .* 2 they match are all excluded \(1 binary, 1 empty\)/);
  });
});

describe('the map-reduce plan and graph', () => {
  const config = parseConfig({});
  const plan = (over: Record<string, unknown> = {}): MapReducePlan => {
    const check = validatePlan({ pattern: 'map-reduce', task: 'Rate the comments in every .ts file', question: 'Rate the comments of each file', include: ['**/*.ts'], mapperTier: 'haiku', ...over }, null);
    if (!check.ok) throw new Error(check.errors.join('; '));
    return check.plan as MapReducePlan;
  };

  it('fills the defaults (60k tokens, 25 files, K = 8) and rejects a glob that climbs out', () => {
    expect(plan()).toMatchObject({ mapperTokens: 60_000, filesPerMapper: 25, fanIn: 8, exclude: [] });
    const bad = validatePlan({ pattern: 'map-reduce', task: 't', question: 'Rate the comments', include: ['../**/*.ts'], mapperTier: 'haiku' },
      { config, focus: [], scopeExists: () => true });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.errors[0]).toMatch(/include glob "\.\.\/\*\*\/\*\.ts" is not a valid glob/);
  });

  it('lays 9 mappers under two reducers of ≤ 8, one reducer above them, and the final on top', () => {
    const selected = Array.from({ length: 9 }, (_, i) => ({ path: `f${i}.ts`, bytes: 40, tokens: 26 }));
    const { agents, groups, artifacts } = layOut(plan({ filesPerMapper: 1 }), { config }, { selected, excluded: [{ path: 'x.bin', reason: 'binary', detail: 'binary content' }] });
    expect(agents.map((a) => `${a.id}<${a.dependsOn.join(',')}`)).toEqual([
      'm1<', 'm2<', 'm3<', 'm4<', 'm5<', 'm6<', 'm7<', 'm8<', 'm9<',
      'r1-1<m1,m2,m3,m4,m5', 'r1-2<m6,m7,m8,m9', 'r2-1<r1-1,r1-2', 'final<r2-1',
    ]);
    expect(agents.at(-1)!.outputFile).toBe('summary.md');
    expect(groups).toEqual([
      { id: 'map', label: 'Map: 9 partitions of 9 files; 1 file excluded, see selection.json' },
      { id: 'reduce-1', label: 'Reduce level 1: 2 reducers of ≤ 8 inputs' },
      { id: 'reduce-2', label: 'Reduce level 2: 1 reducer of ≤ 8 inputs' },
    ]);
    const file = JSON.parse(artifacts!['selection.json']) as SelectionFile;
    expect(file.mappers.map((m) => m.files)).toEqual(selected.map((f) => [f.path]));
    expect(file.reducers.map((l) => l.map((r) => r.id))).toEqual([['r1-1', 'r1-2'], ['r2-1']]);
    expect(file.excluded).toEqual([{ path: 'x.bin', reason: 'binary', detail: 'binary content' }]);
  });

  it('lets the final read the only mapper when there is one', () => {
    const { agents } = layOut(plan(), { config }, { selected: [{ path: 'a.ts', bytes: 4, tokens: 17 }], excluded: [] });
    expect(agents.map((a) => `${a.id}<${a.dependsOn.join(',')}`)).toEqual(['m1<', 'final<m1']);
  });
});
