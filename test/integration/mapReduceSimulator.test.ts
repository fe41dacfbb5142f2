/** A whole simulated map-reduce run over the demo workspace, the planner choosing the pattern itself. */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AnthropicModelClient } from '../../src/engine/model/anthropic';
import { parseConfig } from '../../src/engine/config';
import { endsWithSentinel } from '../../src/engine/files';
import { Orchestrator } from '../../src/engine/orchestrator';
import type { SelectionFile } from '../../src/engine/patterns/map-reduce/compile';
import { startSimulator, type Simulator } from '../../src/simulator/index';
import { makeWorkspace } from './harness';

const ROOT = join(__dirname, '../..');
let ws: string;
let sim: Simulator;
beforeAll(async () => {
  ws = makeWorkspace();
  sim = await startSimulator({ workspace: ws });
});
afterAll(async () => {
  await sim.close();
  rmSync(ws, { recursive: true, force: true });
});

it('plans map-reduce in auto mode for "every .js file", maps each file and writes a summary naming the selection', async () => {
  const orch = new Orchestrator({
    workspace: ws, config: parseConfig({ provider: 'simulated' }), simulated: true, promptsDir: join(ROOT, 'prompts'),
    model: new AnthropicModelClient({ apiKey: 'simulated', baseUrl: sim.baseUrl }), snapshotIntervalMs: 20,
  });
  const run = await orch.plan({ task: 'Rate the comments in every .js file' });
  expect(run.plan.pattern).toBe('map-reduce');
  const outcome = await run.execute();
  expect(outcome.reason).toBeNull();
  expect(outcome.status).toBe('completed');

  const dir = join(ws, '.orchestration', run.id);
  const sel = JSON.parse(readFileSync(join(dir, 'selection.json'), 'utf8')) as SelectionFile;
  const mapped = sel.mappers.flatMap((m) => m.files).sort();
  expect(mapped).toContain('src/api/server.js');
  expect(mapped).toContain('test/orders.test.js');
  expect(mapped.every((f) => f.endsWith('.js'))).toBe(true);
  for (const m of sel.mappers) {
    const text = readFileSync(join(dir, 'mappers', `${m.id}.md`), 'utf8');
    expect(text.startsWith('> _Simulated output')).toBe(true);
    expect(endsWithSentinel(text)).toBe(true);
    for (const f of m.files) expect(text).toContain(`### ${f}`);
  }
  const summary = readFileSync(join(dir, 'summary.md'), 'utf8');
  expect(summary).toContain(`${mapped.length} files were answered`);
  expect(summary).toContain('## Selection');
  expect(endsWithSentinel(summary)).toBe(true);
  const snap = run.ledger.snapshot();
  expect(snap.groups?.[0]).toMatchObject({ id: 'map' });
  expect(snap.agents.filter((a) => a.role === 'mapper').every((a) => a.domain === 'map')).toBe(true);
}, 60_000);
