/** A whole simulated run through the real engine: plan → workers → coordinators → summary. */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AnthropicModelClient } from '../../src/engine/model/anthropic';
import { parseConfig } from '../../src/engine/config';
import { endsWithSentinel } from '../../src/engine/files';
import { Orchestrator } from '../../src/engine/orchestrator';
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

it('completes a simulated run over the demo workspace with every file finished and labelled', async () => {
  const orch = new Orchestrator({
    workspace: ws, config: parseConfig({ provider: 'simulated' }), simulated: true, promptsDir: join(ROOT, 'prompts'),
    model: new AnthropicModelClient({ apiKey: 'simulated', baseUrl: sim.baseUrl }), snapshotIntervalMs: 20,
  });
  const run = await orch.plan({ task: 'Audit this repo for security issues' });
  const outcome = await run.execute();
  expect(outcome.reason).toBeNull();
  expect(outcome.status).toBe('completed');
  const dir = join(ws, '.orchestration', run.id);
  const plan = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8')) as { domains: Array<{ id: string; workers: Array<{ id: string }> }> };
  for (const d of plan.domains) {
    for (const w of d.workers) {
      const text = readFileSync(join(dir, 'workers', `${w.id}.md`), 'utf8');
      expect(text.startsWith('> _Simulated output')).toBe(true);
      expect(endsWithSentinel(text)).toBe(true);
    }
    expect(endsWithSentinel(readFileSync(join(dir, 'synthesis', `${d.id}.md`), 'utf8'))).toBe(true);
  }
  expect(existsSync(join(dir, 'summary.md'))).toBe(true);
  expect(readFileSync(join(dir, 'summary.md'), 'utf8')).toContain('## Top actions');
  expect(outcome.totals.usage.cacheRead).toBeGreaterThan(0);
  expect(sim.server.stats.rateLimited).toBe(0);
}, 60_000);
