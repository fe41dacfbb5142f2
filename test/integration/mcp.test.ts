/** `orchestrate mcp` driven by the official MCP SDK client over stdio, as Claude Code or VS Code drive it. */
import { existsSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerSnapshot } from '../../src/engine/types';
import { MAX_TASK_CHARS } from '../../src/engine/plan/task';
import { gitWorkspace, repoState, worktreesDir } from './buildHarness';
import { CLI, cliAsync, keylessEnv, makeWorkspace, readJson, startFake, type Fake } from './harness';
import { mcpSession, no, runIdIn, waitForEnd, yes, type McpSession } from './mcpHarness';

const sessions: McpSession[] = [];
let fake: Fake | undefined;
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close().catch(() => undefined)));
  await fake?.close();
  fake = undefined;
});
beforeAll(() => { if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run npm run build (npm test does)'); });

const baseEnv = keylessEnv;

async function open(ws: string, o: Parameters<typeof mcpSession>[1] = {}): Promise<McpSession> {
  const s = await mcpSession(ws, { env: baseEnv(), ...o });
  sessions.push(s);
  return s;
}

const ledgerOf = (ws: string, id: string): LedgerSnapshot => readJson<LedgerSnapshot>(path.join(ws, '.orchestration', id, 'ledger.json'));

describe('orchestrate mcp', () => {
  it('plans, asks the user through elicitation, sleeps on run_status and reads back a short result', async () => {
    const ws = makeWorkspace();
    const s = await open(ws, { args: ['--simulate'], answer: yes, name: 'claude-code' });
    const tools = (await s.client.listTools()).tools.map((t) => t.name);
    expect(tools.sort()).toEqual(['agent_output', 'apply_changes', 'approve_run', 'cancel_run', 'decline_run', 'discard_changes', 'list_runs', 'plan_task', 'run_result', 'run_status']);

    const plan = await s.call('plan_task', { task: 'Audit this repo for security issues', pattern: 'fan-out' });
    expect(plan.isError, plan.text).toBe(false);
    const id = runIdIn(plan.text);
    expect(plan.text).toMatch(/^Pattern: fan-out — /m);
    expect(plan.text).toMatch(/^Estimate: .+ tokens; .+ if run for real/m);
    expect(ledgerOf(ws, id)).toMatchObject({ status: 'awaiting-approval', startedBy: 'mcp:claude-code' });

    const approve = await s.call('approve_run', { runId: id });
    expect(approve.isError, approve.text).toBe(false);
    expect(approve.text).toMatch(/approved by the user and running/);
    expect(s.asked).toHaveLength(1);
    expect(s.asked[0]).toMatch(new RegExp(`Start run ${id}\\?`));
    expect(s.asked[0]).toMatch(/^Estimate: /m);

    const status = await waitForEnd(s, id);
    expect(status).toMatch(new RegExp(`^Run ${id}: completed · (\\d+)/\\1 done`));
    expect(status).toMatch(/^Groups: a \d+\/\d+/m);

    const result = await s.call('run_result', { runId: id });
    expect(result.isError).toBe(false);
    expect(result.text).toContain(readFileSync(path.join(ws, '.orchestration', id, 'summary.md'), 'utf8').trim().slice(0, 200));
    expect(result.text).toMatch(/^Synthesis files: \.orchestration\/.+\/synthesis\/a\.md/m);

    const worker = await s.call('agent_output', { runId: id, agentId: 'a1', maxTokens: 100 });
    expect(worker.text).toMatch(/^a1 worker completed/);
    expect(worker.text).toMatch(/cut at about 100 tokens/);

    const list = await s.call('list_runs');
    expect(list.text).toMatch(new RegExp(`^${id} completed \\d+/\\d+ .*\\[mcp:claude-code\\]`, 'm'));
    expect(await s.readResource(`orchestration://${id}/plan.md`)).toBe(readFileSync(path.join(ws, '.orchestration', id, 'plan.md'), 'utf8'));
    expect(JSON.parse(await s.readResource(`orchestration://${id}/ledger`))).toMatchObject({ runId: id, status: 'completed' });
    const listed = (await s.client.listResources()).resources.map((r) => r.uri);
    expect(listed).toContain(`orchestration://${id}/summary.md`);
  }, 120_000);

  it('refuses approve_run when the client cannot ask the user, naming the opt-in; --allow-agent-approval lets the agent decide', async () => {
    const ws = makeWorkspace();
    const s = await open(ws, { args: ['--simulate'] });
    const id = runIdIn((await s.call('plan_task', { task: 'Audit this repo for security issues' })).text);
    const refused = await s.call('approve_run', { runId: id });
    expect(refused.isError).toBe(true);
    expect(refused.text).toMatch(/needs the user's confirmation, and this MCP client cannot ask the user/);
    expect(refused.text).toMatch(/--allow-agent-approval/);
    expect(ledgerOf(ws, id).status).toBe('awaiting-approval');
    await s.close();

    const agent = await open(ws, { args: ['--simulate', '--allow-agent-approval'] });
    const approved = await agent.call('approve_run', { runId: id });
    expect(approved.isError, approved.text).toBe(false);
    expect(approved.text).toMatch(/approved by you \(the server runs with --allow-agent-approval\)/);
    expect(await waitForEnd(agent, id)).toMatch(/: completed ·/);
  }, 120_000);

  it('names the problem and what to do for bad input', async () => {
    const ws = makeWorkspace();
    const s = await open(ws, { args: ['--simulate'], answer: no });
    const unknown = await s.call('run_status', { runId: '20200101-000000-abcd' });
    expect(unknown).toEqual({ isError: true, text: expect.stringMatching(/^Unknown run id 20200101-000000-abcd: .+ Call list_runs/) as string });
    expect((await s.call('run_result', { runId: '../etc' })).text).toMatch(/is not a run id \(expected YYYYMMDD-HHMMSS-xxxx\)/);
    const long = await s.call('plan_task', { task: 'x'.repeat(MAX_TASK_CHARS + 1) });
    expect(long.isError).toBe(true);
    expect(long.text).toMatch(/is 20,001 characters; at most 20,000 are allowed/);
    const workflow = await s.call('plan_task', { task: 'Audit', workflow: 'audit' });
    expect(workflow.text).toMatch(/Workflows are not supported yet/);

    const id = runIdIn((await s.call('plan_task', { task: 'Audit this repo for security issues' })).text);
    const wait = await s.call('run_status', { runId: id, waitSeconds: 600 });
    expect(wait.isError).toBe(true);
    expect(wait.text).toMatch(/waitSeconds is 600; at most 50 are allowed/);
    // The user says no when asked: the run is declined, and approving it again is refused with why.
    const declined = await s.call('approve_run', { runId: id });
    expect(declined.text).toMatch(/The user declined run/);
    expect(ledgerOf(ws, id).status).toBe('declined');
    const again = await s.call('approve_run', { runId: id });
    expect(again.isError).toBe(true);
    expect(again.text).toMatch(/was declined, so nothing of it ran and it cannot be approved\. Call plan_task/);
    expect((await s.call('run_result', { runId: id })).text).toMatch(/No summary\.md was written|declined/);
    // A run folder is untrusted: a file in it that is a symlink leading out is never read and sent.
    const outside = path.join(path.dirname(ws), `outside-${path.basename(ws)}.txt`);
    writeFileSync(outside, 'private notes');
    const planFile = path.join(ws, '.orchestration', id, 'plan.md');
    rmSync(planFile);
    symlinkSync(outside, planFile);
    const leaked = await s.call('agent_output', { runId: id, agentId: 'planner' });
    expect(leaked).toEqual({ isError: true, text: expect.stringMatching(/plan\.md leads outside its run folder/) as string });
    await expect(s.readResource(`orchestration://${id}/plan.md`)).rejects.toThrow(/leads outside its run folder/);
    expect(s.seen.join('\n')).not.toContain('private notes');
  }, 120_000);

  it('lets one of two clients approving the same run win; the other is refused', async () => {
    const ws = makeWorkspace();
    const a = await open(ws, { args: ['--simulate', '--sim-latency', '20'], answer: yes, name: 'a' });
    const b = await open(ws, { args: ['--simulate', '--sim-latency', '20'], answer: yes, name: 'b' });
    const id = runIdIn((await a.call('plan_task', { task: 'Audit this repo for security issues' })).text);
    const answers = await Promise.all([a.call('approve_run', { runId: id }), b.call('approve_run', { runId: id })]);
    expect(answers.filter((r) => !r.isError), JSON.stringify(answers)).toHaveLength(1);
    const loser = answers.find((r) => r.isError)!;
    expect(loser.text).toMatch(/Refused: Run .+ is busy with another command|needs no approval|not awaiting approval/);
    const winner = answers[0].isError ? b : a;
    expect(await waitForEnd(winner, id)).toMatch(/: completed ·/);
  }, 120_000);

  it('leaves a run interrupted and resumable when the server is stopped mid-run; a new client finds it with list_runs', async () => {
    const ws = makeWorkspace();
    const first = await open(ws, { args: ['--simulate', '--sim-latency', '400'], answer: yes });
    const id = runIdIn((await first.call('plan_task', { task: 'Audit this repo for security issues', pattern: 'fan-out' })).text);
    expect((await first.call('approve_run', { runId: id })).isError).toBe(false);
    // The client goes away: it closes the server's input, then stops it.
    await first.close();
    const second = await open(ws, { args: ['--simulate'] });
    const list = await second.call('list_runs');
    expect(list.text).toMatch(new RegExp(`^${id} interrupted `, 'm'));
    const status = await second.call('run_status', { runId: id });
    expect(status.text).toMatch(new RegExp(`orchestrate resume ${id}`));
    const resumed = await cliAsync(['resume', id, '--simulate', '--workspace', ws], baseEnv());
    expect(resumed.code, resumed.stderr).toBe(0);
    expect((await second.call('run_status', { runId: id })).text).toMatch(/: completed ·/);
  }, 120_000);

  it('takes a build run to apply_changes: refused without elicitation, nothing written on no, applied on yes', async () => {
    const ws = gitWorkspace();
    const wt = worktreesDir();
    const args = ['--simulate', '--set', `worktreesDir=${wt}`];
    const before = repoState(ws);
    const s = await open(ws, { args, answer: yes });
    const id = runIdIn((await s.call('plan_task', { task: 'Add a doc comment to every source file', pattern: 'build' })).text);
    expect((await s.call('approve_run', { runId: id })).isError).toBe(false);
    expect(await waitForEnd(s, id)).toMatch(/: completed ·/);
    const result = await s.call('run_result', { runId: id });
    expect(result.text).toMatch(/^Changes \(proposed\): \d+ files?, \+\d+ -\d+/m);
    expect(result.text).toMatch(/^ {2}modified \+1 -0 src\/api\/orders\.js$/m);

    const blind = await open(ws, { args });
    const refused = await blind.call('apply_changes', { runId: id });
    expect(refused.isError).toBe(true);
    expect(refused.text).toMatch(/apply_changes needs the user's confirmation.+--allow-agent-approval/);
    expect(repoState(ws).status).toBe(before.status);

    const saysNo = await open(ws, { args, answer: no });
    expect((await saysNo.call('apply_changes', { runId: id })).text).toMatch(/said no: nothing was written/);
    expect(saysNo.asked[0]).toMatch(/modified \+1 -0 src\/api\/orders\.js/);
    expect(repoState(ws).status).toBe(before.status);

    const applied = await s.call('apply_changes', { runId: id, files: ['src/api/orders.js'] });
    expect(applied.isError, applied.text).toBe(false);
    expect(applied.text).toMatch(/^Applied 1 file to the working tree \(not committed\): src\/api\/orders\.js/);
    expect(readFileSync(path.join(ws, 'src/api/orders.js'), 'utf8')).toMatch(/Simulated doc comment/);
    expect(repoState(ws).head).toBe(before.head);
  }, 180_000);

  it('never shows the API key in a tool answer, a question or a resource', async () => {
    const ws = makeWorkspace();
    fake = await startFake(ws);
    const key = 'sk-ant-api03-mcpTestKey0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH-0123456789';
    const s = await open(ws, { env: { ...baseEnv(), ANTHROPIC_API_KEY: key, ANTHROPIC_BASE_URL: fake.server.url }, answer: yes });
    const plan = await s.call('plan_task', { task: `Audit this repo for security issues; the key ${key} may be leaked somewhere` });
    const id = runIdIn(plan.text);
    await s.call('approve_run', { runId: id });
    await waitForEnd(s, id);
    await s.call('run_result', { runId: id, maxTokens: 20_000 });
    await s.call('list_runs');
    for (const agent of ledgerOf(ws, id).agents) await s.call('agent_output', { runId: id, agentId: agent.id, maxTokens: 20_000 });
    for (const r of (await s.client.listResources()).resources) await s.readResource(r.uri);
    expect(s.seen.length).toBeGreaterThan(10);
    for (const text of s.seen) expect(text).not.toContain(key);
    expect(s.seen.join('\n')).toContain('Audit this repo for security issues; the key');
  }, 120_000);

  it('starts without a key and says why nothing can be planned', async () => {
    const ws = makeWorkspace();
    const s = await open(ws);
    const r = await s.call('plan_task', { task: 'Audit this repo' });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/^No Anthropic API key: .+ restart the server/);
    expect((await s.call('list_runs')).text).toMatch(/No runs in this workspace yet/);
  });
});
