/**
 * The planner's cost of the user's agents: 200 definitions add at most 10 % to the planner's
 * input tokens (the ones the task names summarised, the next listed by name, the rest counted),
 * measured as the API counts them, through the real SDK over HTTP.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AnthropicModelClient } from '../../src/engine/model/anthropic';
import { Orchestrator } from '../../src/engine/orchestrator';
import { makeWorkspace, PROMPTS, startFake, testConfig, type Fake } from './harness';

let fake: Fake | undefined;
afterEach(async () => { await fake?.close(); fake = undefined; });

const WORDS = ['api', 'auth', 'billing', 'cache', 'docs', 'db', 'i18n', 'infra', 'perf', 'release', 'search', 'ui'];
const JOBS = ['reviewer', 'auditor', 'writer', 'tester', 'migrator', 'profiler', 'triager', 'linter', 'planner', 'checker', 'fixer', 'mapper'];

async function plannerInput(withDefinitions: number): Promise<number> {
  const ws = makeWorkspace();
  const home = mkdtempSync(path.join(os.tmpdir(), 'orch-home-'));
  // In the home folder: definitions in the workspace would also grow its overview (200 more paths),
  // which is the overview's cost, not the block's.
  const dir = path.join(home, '.claude', 'agents');
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < withDefinitions; i++) {
    const name = `${WORDS[i % WORDS.length]}-${JOBS[Math.floor(i / WORDS.length) % JOBS.length]}-${i}`;
    writeFileSync(path.join(dir, `${name}.md`), `---\nname: ${name}\ndescription: ${'Use this agent proactively whenever the work touches its area; it knows the conventions, the history and the traps of that part of the code base, and reports with file and line. '.repeat(2)}\ntools: Read, Grep, Glob\nmodel: sonnet\n---\nYou are agent ${i}. ${'Be precise. '.repeat(50)}\n`);
  }
  fake = await startFake(ws);
  const orch = new Orchestrator({
    workspace: ws, config: testConfig(), promptsDir: PROMPTS, snapshotIntervalMs: 50, agentsHome: home,
    model: new AnthropicModelClient({ apiKey: 'test-key', baseUrl: fake.server.url }),
  });
  const run = await orch.plan({ task: 'Review the shop for problems' });
  const planner = run.ledger.get('planner')!;
  await run.ledger.close();
  run.transcripts.dispose();
  await fake.close();
  fake = undefined;
  return planner.usage.input + planner.usage.cacheRead + planner.usage.cacheWrite;
}

describe('the planner with the user\'s agents', () => {
  it('pays at most 10 % more input tokens with 200 definitions present', async () => {
    const without = await plannerInput(0);
    const with200 = await plannerInput(200);
    console.log(`planner input: ${without} without definitions, ${with200} with 200 (+${(((with200 - without) / without) * 100).toFixed(1)} %)`);
    expect(with200).toBeGreaterThan(without);
    expect(with200).toBeLessThanOrEqual(without * 1.1);
  });
});
