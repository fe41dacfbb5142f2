/**
 * `orchestrate transcript|stop|rerun|ask|add-worker` as a user runs them: the built CLI as a
 * child process, against a simulated run or the fake Messages API.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Run } from '../../src/engine/execution/run';
import type { LedgerSnapshot } from '../../src/engine/types';
import { CLI, cliAsync, makeWorkspace, orchestrator, planReply, readJson, startFake, type Fake } from './harness';

let fake: Fake | undefined;
afterEach(async () => { await fake?.close(); fake = undefined; });
beforeAll(() => { if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run npm run build (npm test does)'); });

const env = (): NodeJS.ProcessEnv => {
  const e = { ...process.env };
  delete e.ANTHROPIC_API_KEY;
  delete e.ANTHROPIC_BASE_URL;
  return e;
};
function cli(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: env(), stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
/** Async, for a command that must talk to this process while it runs (spawnSync would block it). */
const cliAsyncHere = (args: string[]) => cliAsync(args, env());
const runIdOf = (ws: string): string => readdirSync(path.join(ws, '.orchestration')).find((n) => /^\d{8}-/.test(n))!;

describe('orchestrate transcript, rerun, ask and add-worker', () => {
  it('work end to end on a simulated run, with the usual exit codes', () => {
    const ws = makeWorkspace();
    expect(cli(['run', 'Audit this repo for security issues', '--pattern', 'fan-out', '--simulate', '--yes', '--workspace', ws]).code).toBe(0);
    const id = runIdOf(ws);
    const dir = path.join(ws, '.orchestration', id);

    const planner = cli(['transcript', id, 'planner', '--workspace', ws]);
    expect(planner.code).toBe(0);
    expect(planner.stdout).toMatch(/^── attempt 1 · claude-sonnet-5-5/);
    expect(planner.stdout).toMatch(/⚙ plan_fan_out /);
    const json = cli(['transcript', id, 'a1', '--workspace', ws, '--json']);
    const parsed = JSON.parse(json.stdout) as { entries: Array<{ type: string }>; problem: string | null };
    expect(parsed.problem).toBeNull();
    expect(parsed.entries[0].type).toBe('attempt');
    expect(parsed.entries.some((e) => e.type === 'tool_call')).toBe(true);
    const nobody = cli(['transcript', id, 'nobody', '--workspace', ws]);
    expect(nobody.code).toBe(2);
    expect(nobody.stderr).toMatch(/has no agent nobody/);

    const ask = cli(['ask', id, 'a1', 'What did you read?', '--workspace', ws, '--simulate']);
    expect(ask.code).toBe(0);
    expect(ask.stdout).toMatch(/Question:\*\* What did you read\?/);
    expect(ask.stdout).toMatch(/^Answer: .*asks\/a1-1\.md$/m);
    expect(existsSync(path.join(dir, 'asks/a1-1.md'))).toBe(true);

    const rerun = cli(['rerun', id, 'a2', '--instruction', 'Look harder at SQL', '--workspace', ws, '--simulate', '--json']);
    expect(rerun.code).toBe(0);
    expect(JSON.parse(rerun.stdout)).toMatchObject({ runId: id, status: 'completed' });

    const add = cli(['add-worker', id, '--group', 'a', '--task', 'Review the retry helper for unsafe loops', '--scope', 'src/utils/retry.js', '--tier', 'haiku', '--workspace', ws, '--simulate']);
    expect(add.code).toBe(0);
    expect(add.stdout).toMatch(/Run .*: completed/);
    const snap = readJson<LedgerSnapshot>(path.join(dir, 'ledger.json'));
    const added = snap.agents.find((a) => a.role === 'worker' && a.scope.includes('src/utils/retry.js') && a.domain === 'a' && a.id !== 'a1' && a.id !== 'a2' && a.id !== 'a3');
    expect(added?.status).toBe('completed');
    expect(snap.commands?.map((c) => c.command)).toEqual(['ask', 'rerun', 'add-worker']);

    expect(cli(['ask', id, 'a1', '--workspace', ws]).code).toBe(2); // no question
    expect(cli(['add-worker', id, '--group', 'a', '--workspace', ws]).stderr).toMatch(/add-worker needs --task, --scope, --tier/);
    const refused = cli(['rerun', id, 'planner', '--workspace', ws, '--simulate']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^Refused: The planner is not rerun on its own/m);
    const stop = cli(['stop', id, 'a1', '--workspace', ws]);
    expect(stop.code).toBe(1);
    expect(stop.stderr).toMatch(/is completed, not running; there is nothing to stop/);
  });
});

describe('orchestrate stop', () => {
  it('stops an agent of a run executing in another process, through the run\'s control folder', async () => {
    const ws = makeWorkspace();
    let run: Run | null = null;
    let stopper: Promise<{ code: number | null; stdout: string; stderr: string }> | null = null;
    fake = await startFake(ws, (_req, _c, agent) => {
      if (agent === 'planner') return planReply(3, 3);
      if (agent !== 'b2') return undefined;
      stopper ??= cliAsyncHere(['stop', run!.id, 'b2', '--workspace', ws]);
      return { kind: 'stall' };
    });
    run = await orchestrator(fake, { streamIdleTimeoutMs: 60_000, agentTimeoutMs: 60_000 }).plan({ task: 'Audit the shop' });
    const outcome = await run.execute();
    await run.ledger.close();
    const stopped = await stopper!;
    expect(stopped.stderr).toBe('');
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toMatch(/stopped b2 \(it was running\); the rest of the run goes on/);
    expect(outcome.status).toBe('partial');
    expect(run.ledger.get('b2')).toMatchObject({ status: 'cancelled', error: 'stopped by the user' });
    expect(run.ledger.agents.filter((a) => a.status === 'completed')).toHaveLength(13);
    expect(readFileSync(path.join(run.dir, 'events.jsonl'), 'utf8')).toMatch(/"type":"command","command":"stop","agentId":"b2"/);
    // The request and its reply are gone from the control folder.
    expect(readdirSync(path.join(run.dir, 'control'))).toEqual([]);
  });
});
