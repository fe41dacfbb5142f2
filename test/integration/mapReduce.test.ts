/**
 * Map-reduce at scale through the real SDK over HTTP against the fake server: 2,000+ generated
 * files, with the partition, reduce-tree and parent-context invariants checked on what the server
 * was actually sent.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PlanError } from '../../src/engine/plan/planError';
import type { SelectionFile } from '../../src/engine/patterns/map-reduce/compile';
import { promptText, roleOf } from '../../src/simulator/conversation';
import type { Reply } from '../../src/simulator/types';
import { orchestrator, readJson, startFake, workspacesOfThisTest } from './harness';
import type { LedgerSnapshot } from '../../src/engine/types';

const FILES = 2_100;
const K = 8;
const BUDGET = 20_000;
const PER_MAPPER = 25;

/** A workspace of FILES .ts files of varied size, plus files the selection must leave out. */
function bigWorkspace(): { ws: string; expected: string[] } {
  const ws = mkdtempSync(path.join(os.tmpdir(), 'orch-mr-'));
  workspacesOfThisTest.add(ws);
  const expected: string[] = [];
  for (let i = 0; i < FILES; i++) {
    const rel = `src/area${i % 30}/mod${Math.floor(i / 30) % 10}/file${String(i).padStart(4, '0')}.ts`;
    mkdirSync(path.join(ws, path.dirname(rel)), { recursive: true });
    const body = Array.from({ length: 5 + ((i * 37) % 120) }, (_, l) => (l % 7 === 0 ? `// note ${l}: TODO check` : `export const v${l} = ${l};`)).join('\n');
    writeFileSync(path.join(ws, rel), `${body}\n`);
    expected.push(rel);
  }
  writeFileSync(path.join(ws, 'src/area0/huge.ts'), 'export const big = 1;\n'.repeat(5_000));
  writeFileSync(path.join(ws, 'src/area1/blob.ts'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 0, 1, 2, 0]));
  writeFileSync(path.join(ws, 'src/area2/empty.ts'), '');
  writeFileSync(path.join(ws, 'src/area3/orders.test.ts'), 'test();\n');
  writeFileSync(path.join(ws, 'src/secrets.ts'), 'export const token = "x";\n');
  mkdirSync(path.join(ws, 'node_modules/dep'), { recursive: true });
  writeFileSync(path.join(ws, 'node_modules/dep/index.ts'), 'export {};\n');
  return { ws, expected: expected.sort() };
}

const planCall = (input: Record<string, unknown>): Reply => ({ kind: 'message', content: [{ type: 'tool_use', name: 'plan_map_reduce', input }] });

const ceilLog = (m: number, k: number): number => {
  let d = 0;
  for (let reach = 1; reach < m; reach *= k) d++;
  return d;
};

describe('map-reduce over 2,000+ files', () => {
  it('puts every selected file in exactly one mapper, reduces with fan-in ≤ K, and keeps the parent context small', async () => {
    const { ws, expected } = bigWorkspace();
    const reducerInputs: number[] = [];
    const finalPrompts: string[] = [];
    const fake = await startFake(ws, (req) => {
      const role = roleOf(req);
      if (role === 'planner') {
        return planCall({
          reason: 'one question of every file', question: 'Rate the comments of each file from 1 to 5',
          include: ['**/*.ts'], exclude: ['**/*.test.ts'], mapperTier: 'haiku', mapperTokens: BUDGET, filesPerMapper: PER_MAPPER, fanIn: K,
        });
      }
      if (role === 'reducer') reducerInputs.push((promptText(req).match(/<report from=/g) ?? []).length);
      if (role === 'final') finalPrompts.push(promptText(req));
      return undefined;
    });
    try {
      const orch = orchestrator(fake, { maxConcurrent: 32, tierCaps: { haiku: 32, sonnet: 16, opus: 4 } });
      const run = await orch.plan({ task: 'Rate the comments in every .ts file', pattern: 'map-reduce' });
      // 32 agents at once, each attempt aborted by the run's signal: never a listener each on it.
      const warnings: string[] = [];
      const onWarning = (w: Error): void => { warnings.push(`${w.name}: ${w.message}`); };
      process.on('warning', onWarning);
      const outcome = await run.execute().finally(() => new Promise((r) => setImmediate(r)).then(() => process.off('warning', onWarning)));
      expect(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning'))).toEqual([]);
      expect(outcome.reason).toBeNull();
      expect(outcome.status).toBe('completed');

      const snap = readJson<LedgerSnapshot>(path.join(run.dir, 'ledger.json'));
      const mappers = snap.agents.filter((a) => a.role === 'mapper');
      const reducers = snap.agents.filter((a) => a.role === 'reducer');
      const final = snap.agents.find((a) => a.role === 'final')!;

      // Every selected file in exactly one mapper's scope; none empty, none over the budget.
      const scoped = mappers.flatMap((m) => m.scope);
      expect(scoped.length).toBe(new Set(scoped).size);
      expect([...scoped].sort()).toEqual(expected);
      const sel = readJson<SelectionFile>(path.join(run.dir, 'selection.json'));
      expect(sel.mappers.map((m) => m.files)).toEqual(mappers.map((m) => m.scope));
      for (const m of sel.mappers) {
        expect(m.files.length).toBeGreaterThan(0);
        expect(m.files.length).toBeLessThanOrEqual(PER_MAPPER);
        expect(m.tokens).toBeLessThanOrEqual(BUDGET);
      }
      expect(mappers.length).toBeLessThanOrEqual(Math.ceil(Math.ceil(FILES / PER_MAPPER) * 1.15) + 1);

      // Excluded files listed with their reasons, in selection.json and in summary.md.
      const reasons = Object.fromEntries(sel.excluded.map((e) => [e.path, e.reason]));
      expect(reasons).toEqual({
        'src/area0/huge.ts': 'too-large', 'src/area1/blob.ts': 'binary', 'src/area2/empty.ts': 'empty',
        'src/area3/orders.test.ts': 'excluded-glob', 'src/secrets.ts': 'secret',
      });
      const summary = readFileSync(path.join(run.dir, 'summary.md'), 'utf8');
      for (const p of Object.keys(reasons)) expect(summary).toContain(`\`${p}\``);

      // The reduce tree: fan-in ≤ K in the ledger and in what each reducer was sent; depth ⌈log_K(mappers)⌉.
      expect(reducers.every((r) => r.dependsOn.length <= K)).toBe(true);
      expect(reducerInputs.length).toBe(reducers.length);
      expect(Math.max(...reducerInputs)).toBeLessThanOrEqual(K);
      const levels = new Set(reducers.map((r) => r.domain));
      expect(levels.size).toBe(ceilLog(mappers.length, K));
      expect(snap.groups!.map((g) => g.id)).toEqual(['map', ...[...levels].sort()]);
      expect(snap.groups![0].label).toBe(`Map: ${mappers.length} partitions of ${expected.length.toLocaleString('en-US')} files; 5 files excluded, see selection.json`);

      // The final reads one reducer's output — the top of the tree — and nothing else.
      const top = reducers.filter((r) => r.domain === `reduce-${levels.size}`);
      expect(top.map((r) => r.id)).toEqual([final.dependsOn[0]]);
      expect(finalPrompts).toHaveLength(1);
      expect(finalPrompts[0]).toContain(`# Combined answer (from ${top[0].id})`);
      expect(finalPrompts[0]).not.toMatch(/<file |<report /);
      expect(snap.totals.parentContextTokens).toBeGreaterThan(0);
      expect(snap.totals.parentContextTokens).toBeLessThan(5_000);
      expect(snap.totals.parentContextTokens * 20).toBeLessThan(snap.totals.flatBaselineTokens);
    } finally {
      await fake.close();
    }
  }, 180_000);

  it('fails planning with a clear error when the globs match nothing, after re-asking the planner with it', async () => {
    const { ws } = bigWorkspace();
    const plannerPrompts: string[] = [];
    const fake = await startFake(ws, (req) => {
      if (roleOf(req) !== 'planner') return undefined;
      plannerPrompts.push(promptText(req));
      return planCall({ reason: 'r', question: 'Rate the comments of each file', include: ['**/*.rs'], mapperTier: 'haiku' });
    });
    try {
      const orch = orchestrator(fake, { planRetries: 1 });
      const err = await orch.plan({ task: 'Rate the comments in every .rs file', pattern: 'map-reduce' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PlanError);
      expect((err as PlanError).message).toMatch(/include globs \["\*\*\/\*\.rs"\] match no file in the workspace/);
      expect(plannerPrompts).toHaveLength(2);
      expect(plannerPrompts[1]).toMatch(/# Validation errors[\s\S]*match no file in the workspace/);
      const root = path.join(ws, '.orchestration');
      const runs = readdirSync(root).filter((n) => existsSync(path.join(root, n, 'ledger.json')));
      expect(runs).toHaveLength(1);
      const snap = readJson<LedgerSnapshot>(path.join(root, runs[0], 'ledger.json'));
      expect(snap.status).toBe('failed');
      expect(snap.reason).toMatch(/planning failed: [\s\S]*match no file/);
    } finally {
      await fake.close();
    }
  }, 60_000);
});
