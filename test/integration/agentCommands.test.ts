/**
 * Commands on one agent of a run (Stop, Rerun, Ask, Add Worker) and plan editing before approval,
 * through the real engine and SDK against the fake Messages API.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CommandRefusedError } from '../../src/engine/commands/claim';
import { ConfigError } from '../../src/engine/config';
import type { Run } from '../../src/engine/execution/run';
import { readTranscript } from '../../src/engine/transcripts';
import type { LedgerSnapshot } from '../../src/engine/types';
import { promptText } from '../../src/simulator/conversation';
import type { ParsedRequest } from '../../src/simulator/types';
import { forgetfulWorker, makeWorkspace, orchestrator, planReply, readJson, startFake, type Fake, type Fault } from './harness';

let fake: Fake | undefined;
afterEach(async () => { await fake?.close(); fake = undefined; });

/** A 3 × 3 fan-out run through the simulator, with a fault on top; returns what the tests need. */
async function fanOut(fault: Fault = () => undefined, config = {}) {
  const ws = makeWorkspace();
  const requests: Array<{ agent: string; req: ParsedRequest }> = [];
  fake = await startFake(ws, (req, ctx, agent) => {
    requests.push({ agent, req });
    return agent === 'planner' ? planReply(3, 3) : fault(req, ctx, agent);
  });
  const orch = orchestrator(fake, config);
  const run = await orch.plan({ task: 'Audit the shop' });
  return { ws, orch, run, requests };
}

const ledgerOf = (run: Run): LedgerSnapshot => readJson<LedgerSnapshot>(path.join(run.dir, 'ledger.json'));
const agentsAfter = (requests: Array<{ agent: string }>, mark: number): Set<string> => new Set(requests.slice(mark).map((r) => r.agent));

describe('Stop Agent', () => {
  it('aborts one agent mid-stream; the others complete, its coordinator works with what exists, the run is partial', async () => {
    let run: Run | null = null;
    const stops: boolean[] = [];
    const setup = await fanOut((_req, _ctx, agent) => {
      if (agent !== 'a1') return undefined;
      setTimeout(() => { stops.push(run!.stopAgent('a1')); }, 150);
      return { kind: 'stall' }; // headers and message_start, then silence: a stream in progress
    }, { streamIdleTimeoutMs: 60_000, agentTimeoutMs: 60_000 });
    run = setup.run;
    const started = Date.now();
    const outcome = await run.execute();
    await run.ledger.close();
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(stops).toEqual([true]);
    expect(outcome.status).toBe('partial');
    expect(outcome.gaps.map((g) => g.agentId)).toEqual(['a1']);
    const snap = ledgerOf(run);
    const byId = new Map(snap.agents.map((a) => [a.id, a]));
    expect(byId.get('a1')).toMatchObject({ status: 'cancelled', error: 'stopped by the user', attempts: 1 });
    for (const a of snap.agents.filter((x) => x.id !== 'a1')) expect(a.status, a.id).toBe('completed');
    // The coordinator ran on the workers that finished and was told a1 was stopped.
    const coordPrompt = promptText(setup.requests.find((r) => r.agent === 'coord-a')!.req);
    expect(coordPrompt).toMatch(/workers\/a1\.md \(a1: cancelled — stopped by the user\)/);
    expect(snap.commands).toEqual([expect.objectContaining({ command: 'stop', agentId: 'a1', detail: 'stopped while running' })]);
    expect(readFileSync(path.join(run.dir, 'events.jsonl'), 'utf8')).toMatch(/"type":"command","command":"stop","agentId":"a1"/);
    const { entries } = await readTranscript(run.dir, 'a1');
    expect(entries.at(-1)).toMatchObject({ type: 'error', message: 'stopped by the user' });
    // Nothing to stop once the run has finished.
    expect(run.stopAgent('b1')).toBe(false);
  });

  it('keeps a waiting agent from starting at all', async () => {
    let run: Run | null = null;
    const setup = await fanOut((_req, _ctx, agent) => {
      if (agent === 'a1' && run!.ledger.get('coord-b')!.status === 'pending') run!.stopAgent('coord-b');
      return undefined;
    });
    run = setup.run;
    const outcome = await run.execute();
    await run.ledger.close();
    expect(run.ledger.get('coord-b')).toMatchObject({ status: 'cancelled', error: 'stopped by the user', attempts: 0 });
    expect(setup.requests.some((r) => r.agent === 'coord-b')).toBe(false);
    expect(outcome.status).toBe('partial');
    expect(run.ledger.get('final')!.status).toBe('completed');
  });
});

describe('Rerun Agent', () => {
  it('reruns a failed worker with an instruction, then its coordinator and the final step, and nothing else', async () => {
    let broken = true;
    const { orch, run, requests } = await fanOut((req, _ctx, agent) => (agent === 'b2' && broken ? forgetfulWorker(req, fake!.workspace) : undefined), { retries: 0 });
    const first = await run.execute();
    await run.ledger.close();
    expect(first.status).toBe('partial');
    const before = ledgerOf(run);
    broken = false;
    const mark = requests.length;
    let followed: Run | null = null;
    const outcome = await orch.rerunAgent(run.id, 'b2', { instruction: 'Check the retry loop twice.', onRun: (r) => { followed = r; } });
    expect(followed).not.toBeNull();
    expect(outcome.status).toBe('completed');
    expect(outcome.gaps).toEqual([]);
    expect(agentsAfter(requests, mark)).toEqual(new Set(['b2', 'coord-b', 'final']));
    const b2Prompt = promptText(requests.slice(mark).find((r) => r.agent === 'b2')!.req);
    expect(b2Prompt).toMatch(/# Instruction from the user\n.*\nCheck the retry loop twice\./);
    const after = ledgerOf(run);
    const was = new Map(before.agents.map((a) => [a.id, a]));
    for (const a of after.agents) {
      if (['b2', 'coord-b', 'final'].includes(a.id)) expect(a.requests, a.id).toBeGreaterThan(was.get(a.id)!.requests);
      else expect(a, a.id).toEqual(was.get(a.id));
    }
    expect(after.agents.find((a) => a.id === 'b2')).toMatchObject({ status: 'completed', error: null });
    // The coordinator's new synthesis counts b2 among its finished workers.
    expect(promptText(requests.slice(mark).find((r) => r.agent === 'coord-b')!.req)).toMatch(/workers\/b2\.md \(b2: completed\)/);
    expect(after.commands).toEqual([expect.objectContaining({ command: 'rerun', agentId: 'b2', detail: 'rerun with the instruction: Check the retry loop twice.' })]);
    expect(readFileSync(path.join(run.dir, 'summary.md'), 'utf8')).not.toMatch(/b2/);
    const attempts = (await readTranscript(run.dir, 'b2')).entries.filter((e) => e.type === 'attempt');
    expect(attempts.map((e) => e.attempt)).toEqual([1, 2]);
    expect(attempts[1]).toMatchObject({ instruction: 'Check the retry loop twice.' });
  });

  it('refuses the planner, an unknown agent and a run awaiting approval, saying why', async () => {
    const { orch, run } = await fanOut();
    await expect(orch.rerunAgent(run.id, 'a1')).rejects.toThrow(/is awaiting-approval, so rerunning a1 is refused: approve or edit its plan first/);
    await run.execute();
    await run.ledger.close();
    await expect(orch.rerunAgent(run.id, 'planner')).rejects.toBeInstanceOf(CommandRefusedError);
    await expect(orch.rerunAgent(run.id, 'zz9')).rejects.toThrow(/has no agent zz9/);
  });
});

describe('Ask Agent', () => {
  it('answers from the agent\'s own record, writes the answer, prices it on the agent and keeps it in its transcript', async () => {
    const { orch, run, requests } = await fanOut();
    await run.execute();
    await run.ledger.close();
    const before = ledgerOf(run);
    const a1Before = before.agents.find((a) => a.id === 'a1')!;
    const mark = requests.length;
    const { answer, file } = await orch.askAgent(run.id, 'a1', 'Which file did you read, and why?');
    expect(file).toBe(path.join(run.dir, 'asks/a1-1.md'));
    const written = readFileSync(file, 'utf8');
    expect(written).toContain('> Which file did you read, and why?');
    expect(written).toContain(answer);
    // The simulated model answered from a1's transcript: the file it read.
    expect(answer).toContain('`read_file`: `src/api/server.js`');
    const asked = requests.slice(mark);
    expect(asked).toHaveLength(1);
    expect(asked[0].req.model).toBe(a1Before.modelRequested);
    expect(asked[0].req.system[0].text).toMatch(/^# Role: follow-up/);
    expect(promptText(asked[0].req)).toMatch(/→ request 1/);

    const after = ledgerOf(run);
    const a1After = after.agents.find((a) => a.id === 'a1')!;
    expect(a1After.requests).toBe(a1Before.requests + 1);
    expect(a1After.costUsd).toBeGreaterThan(a1Before.costUsd);
    expect(after.totals.costUsd - before.totals.costUsd).toBeCloseTo(a1After.costUsd - a1Before.costUsd, 9);
    expect(after.status).toBe('completed');
    expect(after.commands).toEqual([expect.objectContaining({ command: 'ask', agentId: 'a1', detail: 'asks/a1-1.md: Which file did you read, and why?' })]);

    const { entries } = await readTranscript(run.dir, 'a1');
    const second = entries.filter((e) => e.attempt === 2).map((e) => e.type);
    expect(second).toEqual(['attempt', 'ask', 'request', 'text', 'usage', 'answer']);
    expect(entries.find((e) => e.type === 'answer')).toMatchObject({ file: 'asks/a1-1.md', text: answer });

    const again = await orch.askAgent(run.id, 'a1', 'Anything else?');
    expect(path.basename(again.file)).toBe('a1-2.md');
    await expect(orch.askAgent(run.id, 'a1', '   ')).rejects.toBeInstanceOf(ConfigError);
  });
});

describe('Add Worker', () => {
  it('adds a worker to a domain, runs it, and re-runs its coordinator and the final step, which include it', async () => {
    const { orch, run, requests } = await fanOut();
    await run.execute();
    await run.ledger.close();
    const planBefore = readFileSync(path.join(run.dir, 'plan.json'), 'utf8');
    await expect(orch.addWorker(run.id, { group: 'a', task: 'Review a file that is not there', scope: ['src/nope.js'], tier: 'haiku' }))
      .rejects.toThrow(/Worker "a4" has scope "src\/nope\.js", which does not exist in the workspace/);
    await expect(orch.addWorker(run.id, { group: 'z', task: 'Review the retry helper', scope: ['src/utils/retry.js'], tier: 'haiku' }))
      .rejects.toThrow(/Domain "z" is not in the plan/);
    expect(readFileSync(path.join(run.dir, 'plan.json'), 'utf8')).toBe(planBefore);

    const mark = requests.length;
    const outcome = await orch.addWorker(run.id, { group: 'a', task: 'Review src/utils/retry.js for unsafe retries', scope: ['src/utils/retry.js'], tier: 'haiku' });
    expect(outcome.status).toBe('completed');
    expect(agentsAfter(requests, mark)).toEqual(new Set(['a4', 'coord-a', 'final']));
    expect(promptText(requests.slice(mark).find((r) => r.agent === 'coord-a')!.req)).toMatch(/workers\/a4\.md \(a4: completed\)/);
    const snap = ledgerOf(run);
    expect(snap.agents.find((a) => a.id === 'a4')).toMatchObject({ role: 'worker', domain: 'a', status: 'completed', scope: ['src/utils/retry.js'] });
    expect(snap.agents.find((a) => a.id === 'coord-a')!.dependsOn).toEqual(['a1', 'a2', 'a3', 'a4']);
    const plan = readJson<{ domains: Array<{ id: string; workers: Array<{ id: string }> }> }>(path.join(run.dir, 'plan.json'));
    expect(plan.domains[0].workers.map((w) => w.id)).toEqual(['a1', 'a2', 'a3', 'a4']);
    expect(existsSync(path.join(run.dir, 'workers/a4.md'))).toBe(true);
    expect(readFileSync(path.join(run.dir, 'plan.md'), 'utf8')).toMatch(/a4/);
    expect(snap.commands?.map((c) => `${c.command} ${c.agentId}`)).toEqual(['add-worker a4']);
    // A reopened run (a reload) sees the worker and its place in the graph.
    const reopened = await orch.open(run.id);
    expect(reopened.ledger.get('a4')!.status).toBe('completed');
    await reopened.ledger.close();
  });

  it('adds an expert to a panel, which the consensus then weighs; an expert without a perspective is refused', async () => {
    const ws = makeWorkspace();
    fake = await startFake(ws);
    const orch = orchestrator(fake);
    const run = await orch.plan({ task: 'Is the shop ready for production?', pattern: 'panel' });
    await run.execute();
    await run.ledger.close();
    const experts = run.ledger.agents.filter((a) => a.role === 'expert').length;
    await expect(orch.addWorker(run.id, { group: 'experts', task: 'Judge how the shop behaves under load', scope: ['src'], tier: 'haiku' }))
      .rejects.toThrow(/needs a perspective/);
    const outcome = await orch.addWorker(run.id, { group: 'experts', perspective: 'Load tester', task: 'Judge how the shop behaves under load', scope: ['src'], tier: 'haiku' });
    expect(outcome.status).toBe('completed');
    const id = `e${experts + 1}`;
    const tally = readJson<{ planned: number; answered: number }>(path.join(run.dir, 'panel/tally.json'));
    expect(tally).toMatchObject({ planned: experts + 1, answered: experts + 1 });
    expect(readFileSync(path.join(run.dir, 'summary.md'), 'utf8')).toContain(`| ${id} | Load tester |`);
    expect(ledgerOf(run).groups).toEqual([{ id: 'experts', label: `Experts (${experts + 1})` }]);
  });

  it('adds a mapper to a map-reduce run under a reducer with room, and re-runs the reduce chain and the final step', async () => {
    const ws = makeWorkspace();
    const requests: string[] = [];
    fake = await startFake(ws, (_req, _c, agent) => {
      requests.push(agent);
      return agent === 'planner' ? { kind: 'message', content: [{ type: 'tool_use', name: 'plan_map_reduce', input: {
        reason: 'one question over many files', question: 'Rate the comments in each file (1-5) and say why',
        include: ['src/**/*.js'], mapperTier: 'haiku', filesPerMapper: 3, fanIn: 8,
      } }] } : undefined;
    });
    const orch = orchestrator(fake);
    const run = await orch.plan({ task: 'Rate the comments in every .js file', pattern: 'map-reduce' });
    await run.execute();
    await run.ledger.close();
    const mappers = run.ledger.agents.filter((a) => a.role === 'mapper').map((a) => a.id);
    expect(mappers.length).toBeGreaterThan(1);
    expect(run.ledger.agents.filter((a) => a.role === 'reducer').map((a) => a.id)).toEqual(['r1-1']);
    const added = `m${mappers.length + 1}`;
    await expect(orch.addWorker(run.id, { group: 'map', task: 'Rate the comments of the docs', scope: ['docs'], tier: 'haiku' }))
      .rejects.toThrow(/"docs" is not a file; a mapper is sent whole files/);
    await expect(orch.addWorker(run.id, { group: 'map', task: 'Rate the comments of the env file', scope: ['.env'], tier: 'haiku' }))
      .rejects.toThrow(/"\.env" does not exist in the workspace or may not be read/);
    const mark = requests.length;
    const outcome = await orch.addWorker(run.id, { group: 'map', task: 'Rate the comments of the tests', scope: ['test/orders.test.js'], tier: 'haiku' });
    expect(outcome.status).toBe('completed');
    expect(new Set(requests.slice(mark))).toEqual(new Set(['unknown', 'final'])); // the harness names no mapper or reducer
    const snap = ledgerOf(run);
    expect(snap.agents.find((a) => a.id === added)).toMatchObject({ role: 'mapper', status: 'completed', scope: ['test/orders.test.js'] });
    expect(snap.agents.find((a) => a.id === 'r1-1')!.dependsOn).toEqual([...mappers, added]);
    const reran = snap.agents.filter((a) => a.requests > 0 && a.id !== 'planner');
    expect(reran.find((a) => a.id === 'r1-1')!.requests).toBe(2);
    expect(reran.find((a) => a.id === 'final')!.requests).toBe(2);
    expect(reran.find((a) => a.id === 'm1')!.requests).toBe(1);
    const selection = readJson<{ mappers: Array<{ id: string; files: string[] }>; reducers: Array<Array<{ id: string; inputs: string[] }>> }>(path.join(run.dir, 'selection.json'));
    expect(selection.mappers.at(-1)).toMatchObject({ id: added, files: ['test/orders.test.js'] });
    expect(selection.reducers[0][0].inputs).toEqual([...mappers, added]);
    expect(readFileSync(path.join(run.dir, 'reducers/r1-1.md'), 'utf8')).toContain('test/orders.test.js');
  });

  it('a pipeline refuses with why', async () => {
    const ws = makeWorkspace();
    fake = await startFake(ws);
    const orch = orchestrator(fake);
    const run = await orch.plan({ task: 'Document src step by step: research → outline → draft → review', pattern: 'pipeline' });
    await run.execute();
    await run.ledger.close();
    await expect(orch.addWorker(run.id, { group: 's1', task: 'One more stage of work', scope: [], tier: 'haiku' })).rejects.toThrow(/pipeline's stages are one chain/);
  });
});

describe('plan editing before approval', () => {
  it('previews and rejects an invalid edit without writing anything, and saves a valid one in place of the old plan', async () => {
    const { orch, run, requests } = await fanOut(undefined, { workersPerDomain: { min: 2, max: 8 } });
    const planFile = path.join(run.dir, 'plan.json');
    const original = readFileSync(planFile, 'utf8');
    const ledgerBefore = readFileSync(path.join(run.dir, 'ledger.json'), 'utf8');
    const edited = JSON.parse(original) as { domains: Array<{ id: string; workers: Array<{ id: string; task: string; scope: string[] }> }> };

    const bad = structuredClone(edited);
    bad.domains[0].workers[0].scope = ['src/missing.js'];
    const preview = await orch.previewPlan(run.id, bad);
    expect(preview).toEqual({ ok: false, errors: ['Worker "a1" has scope "src/missing.js", which does not exist in the workspace'] });
    await expect(orch.revisePlan(run.id, bad)).rejects.toThrow(/is invalid; nothing was changed:\n {2}Worker "a1" has scope "src\/missing\.js"/);
    await expect(orch.revisePlan(run.id, { ...edited, pattern: 'panel' })).rejects.toThrow(/keeps the run's pattern/);
    expect(readFileSync(planFile, 'utf8')).toBe(original);
    expect(readFileSync(path.join(run.dir, 'ledger.json'), 'utf8')).toBe(ledgerBefore);

    const good = structuredClone(edited);
    good.domains[2].workers.pop(); // drop c3
    good.domains[0].workers[0].task = 'Review the request handlers for missing input validation';
    const ok = await orch.previewPlan(run.id, good);
    expect(ok).toMatchObject({ ok: true });
    if (!ok.ok) return;
    expect(ok.agents.map((a) => a.id)).not.toContain('c3');
    expect(ok.estimate.costHighUsd).toBeLessThan(run.ledger.estimate!.costHighUsd);
    expect(readFileSync(planFile, 'utf8')).toBe(original);

    const revised = await orch.revisePlan(run.id, good);
    expect(revised.ledger.agents.map((a) => a.id)).not.toContain('c3');
    expect(revised.ledger.get('a1')!.task).toBe('Review the request handlers for missing input validation');
    const planner = revised.ledger.get('planner')!;
    expect(planner).toMatchObject({ status: 'completed', requests: 1 });
    expect(revised.ledger.estimate).toEqual(ok.estimate);
    const saved = readJson<typeof edited>(planFile);
    expect(saved.domains[2].workers.map((w) => w.id)).toEqual(['c1', 'c2']);
    expect(readFileSync(path.join(run.dir, 'plan.md'), 'utf8')).not.toMatch(/\| c3 \|/);
    expect(ledgerOf(revised).commands).toEqual([expect.objectContaining({ command: 'revise-plan', agentId: null, detail: 'plan revised (revision 1): 13 → 12 agents' })]);

    // The Run of the old plan refuses to start; the revised one runs the edited plan.
    await expect(run.execute()).rejects.toThrow(/was revised after this Run was opened/);
    const mark = requests.length;
    const outcome = await revised.execute();
    await revised.ledger.close();
    expect(outcome.status).toBe('completed');
    expect(agentsAfter(requests, mark).has('c3')).toBe(false);
    await expect(orch.revisePlan(run.id, good)).rejects.toThrow(/only a plan awaiting approval can be revised/);
  });
});

describe('a run owned elsewhere', () => {
  it('refuses every command while another process runs it', async () => {
    const { orch, run } = await fanOut();
    await run.execute();
    await run.ledger.close();
    const file = path.join(run.dir, 'ledger.json');
    const snap = readJson<LedgerSnapshot>(file);
    // The test runner's parent process: alive, and not this one.
    writeFileSync(file, JSON.stringify({ ...snap, status: 'running', pid: process.ppid }));
    const refusal = /is running in another window or process \(pid \d+\)/;
    await expect(orch.rerunAgent(run.id, 'a1')).rejects.toThrow(refusal);
    await expect(orch.askAgent(run.id, 'a1', 'Why?')).rejects.toThrow(refusal);
    await expect(orch.addWorker(run.id, { group: 'a', task: 'Review the retry helper', scope: ['src/utils/retry.js'], tier: 'haiku' })).rejects.toThrow(refusal);
    await expect(orch.revisePlan(run.id, run.plan)).rejects.toThrow(refusal);
    expect(readJson<LedgerSnapshot>(file).agents).toEqual(snap.agents);
    writeFileSync(file, JSON.stringify(snap));
  });

  it('never runs two commands on one run at once', async () => {
    const { orch, run } = await fanOut();
    await run.execute();
    await run.ledger.close();
    const results = await Promise.allSettled([orch.rerunAgent(run.id, 'a1'), orch.rerunAgent(run.id, 'a1')]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected');
    expect(rejected?.reason).toBeInstanceOf(CommandRefusedError);
    expect(String(rejected?.reason)).toMatch(/busy with another command \(rerun\) in this window|executing in this window/);
    expect(ledgerOf(run).commands).toHaveLength(1);
  });
});
