/**
 * The supervisor pattern through the real engine and the real SDK over HTTP against the fake
 * Messages API: caps enforced by the engine, a supervisor that never finishes, resume from the
 * conversation on disk, and the supervisor's context growing by the returns only.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { endsWithSentinel } from '../../src/engine/files';
import type { SupervisorState } from '../../src/engine/patterns/supervisor/state';
import { estimateTokens } from '../../src/engine/text';
import type { EngineEvent, LedgerSnapshot } from '../../src/engine/types';
import { simulate } from '../../src/simulator/brain';
import type { ParsedRequest, Reply } from '../../src/simulator/types';
import { makeWorkspace, orchestrator, readJson, startFake, type Fake } from './harness';

let fake: Fake | undefined;
afterEach(async () => { await fake?.close(); fake = undefined; });

const AREAS = ['src/api', 'src/auth', 'src/db', 'src/utils'];

/** The planner's answer: a supervisor plan over real folders of the demo workspace, with these limits. */
function supervisorPlan(limits: Record<string, number>): Reply {
  return {
    kind: 'message',
    content: [{ type: 'tool_use', name: 'plan_supervisor', input: {
      reason: 'Each step depends on what the last one found.', brief: 'Survey each area, then follow the leads the returns report.', areas: AREAS, limits,
    } }],
  };
}

/** Tool results the supervisor was sent, newest last (what the engine answered its calls). */
function toolResultsIn(req: ParsedRequest): Array<{ text: string; isError: boolean }> {
  return req.messages.flatMap((m) => m.content.flatMap((b) => (b.type === 'tool_result'
    ? [{ text: typeof b.content === 'string' ? b.content : b.content.map((p) => p.text).join('\n'), isError: b.is_error === true }]
    : [])));
}

const events = (dir: string): EngineEvent[] => readFileSync(path.join(dir, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as EngineEvent);
const state = (dir: string): SupervisorState => readJson<SupervisorState>(path.join(dir, 'supervisor/conversation.json'));

describe('supervisor', () => {
  it('a spawn past the cap is refused with a tool error naming the cap, no such worker is created, and the run ends with what was done', async () => {
    const ws = makeWorkspace();
    const seen: ParsedRequest[] = [];
    fake = await startFake(ws, (req, _c, agent) => {
      if (agent === 'planner') return supervisorPlan({ rounds: 4, perRound: 3, workers: 4 });
      if (agent === 'supervisor') seen.push(req);
      return undefined;
    });
    const run = await orchestrator(fake).plan({ task: 'Investigate the shop for security issues', pattern: 'supervisor' });
    const outcome = await run.execute();
    await run.ledger.close();

    // Round 1 spawned 3 (the per-round cap); round 2 asked for 3 more with 1 left under workers: 4.
    const refusal = events(run.dir).find((e) => e.type === 'tool' && e.name === 'spawn_workers' && !e.ok);
    expect(refusal).toMatchObject({ id: 'sup-2' });
    const sentBack = toolResultsIn(seen.at(-1)!).at(-1)!;
    expect(sentBack.isError).toBe(true);
    expect(sentBack.text).toBe('spawn_workers refused: spawn cap — 3 of at most 4 workers already spawned (limits.workers); asked for 3 more, at most 1 can still be spawned');
    const snap = readJson<LedgerSnapshot>(path.join(run.dir, 'ledger.json'));
    expect(snap.agents.filter((a) => a.role === 'worker').map((a) => a.id)).toEqual(['w1', 'w2', 'w3']);
    expect(snap.agents.map((a) => a.id)).not.toContain('sup-3');
    // The supervisor finished with what the three workers returned.
    expect(outcome.status).toBe('completed');
    const summary = readFileSync(path.join(run.dir, 'summary.md'), 'utf8');
    expect(summary).toContain('The engine refused my last request');
    for (const w of ['w1', 'w2', 'w3']) expect(summary).toContain(`**${w}:**`);
    expect(endsWithSentinel(summary)).toBe(true);
    // One group per round; every spawned agent is in the ledger with its dependencies.
    expect(snap.groups).toEqual([{ id: 'r1', label: 'Round 1' }, { id: 'r2', label: 'Round 2' }]);
    expect(snap.agents.find((a) => a.id === 'sup-2')).toMatchObject({ domain: 'r2', dependsOn: ['w1', 'w2', 'w3'], status: 'completed' });
    expect(snap.agents.find((a) => a.id === 'w1')).toMatchObject({ domain: 'r1', dependsOn: ['sup-1'], outputFile: 'workers/w1.md' });
  });

  it('spawned workers appear in the ledger, with change events, while the round that spawned them is still running', async () => {
    const ws = makeWorkspace();
    fake = await startFake(ws, (_r, _c, agent) => (agent === 'planner' ? supervisorPlan({ rounds: 2, perRound: 2, workers: 2 }) : undefined));
    const run = await orchestrator(fake).plan({ task: 'Investigate', pattern: 'supervisor' });
    const supStatusWhenAdded: string[] = [];
    run.ledger.onDidChange((e) => {
      if (e.type === 'agent' && e.status === 'pending' && /^w\d+$/.test(e.id)) supStatusWhenAdded.push(run.ledger.get('sup-1')!.status);
    });
    const outcome = await run.execute();
    await run.ledger.close();
    expect(outcome.status).toBe('completed');
    expect(supStatusWhenAdded).toEqual(['running', 'running']);
  });

  it('a supervisor that never calls finish: the round cap refuses its spawns, the turn limit ends it as a named gap, the run is partial and the workers\' files are kept', async () => {
    const ws = makeWorkspace();
    const refusals: string[] = [];
    fake = await startFake(ws, (req, _c, agent) => {
      if (agent === 'planner') return supervisorPlan({ rounds: 2, perRound: 2, workers: 6 });
      if (agent !== 'supervisor') return undefined;
      const last = toolResultsIn(req).at(-1);
      if (last?.isError) refusals.push(last.text);
      return { kind: 'message', content: [{ type: 'tool_use', name: 'spawn_workers', input: { workers: [{ task: 'Look again at the API handlers', scope: ['src/api'], tier: 'haiku' }] } }] };
    });
    const run = await orchestrator(fake, { maxTurns: 5, retries: 0 }).plan({ task: 'Investigate', pattern: 'supervisor' });
    const outcome = await run.execute();
    await run.ledger.close();

    expect(outcome.status).toBe('partial');
    const reason = 'turn limit of 5 reached in round 2 before the supervisor called spawn_workers or finish';
    expect(outcome.gaps).toEqual([{ agentId: 'sup-2', outputFile: 'supervisor/round-2.md', reason }]);
    expect(refusals).toHaveLength(4); // every turn of round 2 but the first answered a refusal
    expect(refusals[0]).toBe('spawn_workers refused: round cap reached — this is round 2 of at most 2 (limits.rounds), so no round is left to read their returns; call finish with what you have');
    // Nothing already written is lost: the worker's report, and a summary.md that names the gap.
    expect(endsWithSentinel(readFileSync(path.join(run.dir, 'workers/w1.md'), 'utf8'))).toBe(true);
    const summary = readFileSync(path.join(run.dir, 'summary.md'), 'utf8');
    expect(summary).toMatch(/^# Summary not written/);
    expect(summary).toContain(`**sup-2** — ${reason}`);
    expect(run.ledger.agents.filter((a) => a.role === 'worker').map((a) => a.id)).toEqual(['w1']);
  });

  it('a supervisor that answers in prose is told to call a tool each turn, then fails as a named gap without losing the plan', async () => {
    const ws = makeWorkspace();
    const sent: ParsedRequest[] = [];
    fake = await startFake(ws, (req, _c, agent) => {
      if (agent === 'planner') return supervisorPlan({});
      if (agent === 'supervisor') sent.push(req);
      return { kind: 'message', content: [{ type: 'text', text: 'I believe the shop is fine.' }] };
    });
    const run = await orchestrator(fake, { maxTurns: 2, retries: 0 }).plan({ task: 'Investigate', pattern: 'supervisor' });
    const outcome = await run.execute();
    await run.ledger.close();
    expect(outcome.status).toBe('failed');
    expect(outcome.reason).toBe('no agent completed (turn limit of 2 reached in round 1 before the supervisor called spawn_workers or finish)');
    expect(sent).toHaveLength(2);
    expect(sent[1].messages.at(-1)!.content).toMatchObject([{ type: 'text', text: 'Reply by calling spawn_workers or finish; a reply without a tool call does nothing.' }]);
    expect(sent[0].toolChoice).toEqual({ type: 'any' });
    expect(readFileSync(path.join(run.dir, 'plan.json'), 'utf8')).toContain('"pattern": "supervisor"');
    expect(readFileSync(path.join(run.dir, 'summary.md'), 'utf8')).toContain('**sup-1** — turn limit of 2 reached in round 1');
  });

  it('resume re-wakes the supervisor from the ledger and its conversation; completed workers and decided rounds are not redone', async () => {
    const ws = makeWorkspace();
    let hangRound2 = true;
    const woken: ParsedRequest[] = [];
    fake = await startFake(ws, (req, _c, agent) => {
      if (agent === 'planner') return supervisorPlan({ rounds: 3, perRound: 2, workers: 4 });
      if (agent !== 'supervisor') return undefined;
      woken.push(req);
      // Round 2 is the first request whose conversation holds a spawn call: cut the run off there.
      return hangRound2 && toolResultsIn(req).length > 0 ? { kind: 'hang' } : undefined;
    });
    const run = await orchestrator(fake).plan({ task: 'Investigate the shop for security issues', pattern: 'supervisor' });
    const done = run.execute();
    while (run.ledger.get('sup-2')?.status !== 'running') await new Promise((r) => setTimeout(r, 10));
    run.cancel();
    expect((await done).status).toBe('cancelled');
    await run.ledger.close();
    expect(run.ledger.get('w1')!.status).toBe('completed');
    expect(run.ledger.get('w2')!.status).toBe('completed');

    // As if the process had died after round 1 decided but before its record was settled.
    const ledgerFile = path.join(run.dir, 'ledger.json');
    const snap = readJson<LedgerSnapshot>(ledgerFile);
    Object.assign(snap.agents.find((a) => a.id === 'sup-1')!, { status: 'running', returned: null });
    writeFileSync(ledgerFile, JSON.stringify(snap));

    hangRound2 = false;
    fake.log.length = 0;
    woken.length = 0;
    const again = await orchestrator(fake).open(run.id);
    const outcome = await again.execute({ mode: 'resume' });
    await again.ledger.close();

    expect(outcome.status).toBe('completed');
    const agents = new Set(fake.log.map((l) => l.agent));
    expect(agents.has('w1') || agents.has('w2')).toBe(false); // completed workers are not redone
    // The first supervisor request after resume is round 2, carrying round 1's conversation and the returns.
    const first = woken[0];
    expect(first.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    const returns = toolResultsIn(first)[0].text;
    expect(returns).toContain('# Round 2: returns of round 1');
    expect(returns).toContain(`- w1 (workers/w1.md): ${again.ledger.get('w1')!.returned}`);
    expect(again.ledger.get('sup-1')).toMatchObject({ status: 'completed', requests: 1 });
    expect(readFileSync(path.join(run.dir, 'events.jsonl'), 'utf8')).toContain('sup-1: round 1 was decided before the interruption; its decision stands');
    expect(endsWithSentinel(readFileSync(path.join(run.dir, 'summary.md'), 'utf8'))).toBe(true);
  });

  it("records the supervisor's prompt tokens per round; the context grows by about the returns, not the workers' files", async () => {
    const ws = makeWorkspace();
    const spawnCalls: string[] = [];
    fake = await startFake(ws, (req, _c, agent) => {
      if (agent === 'planner') return supervisorPlan({ rounds: 3, perRound: 4, workers: 8 });
      const reply = simulate(req, ws);
      if (reply.kind !== 'message') return reply;
      if (agent === 'supervisor') {
        for (const b of reply.content) if (b.type === 'tool_use' && b.name === 'spawn_workers') spawnCalls.push(JSON.stringify(b.input));
        return reply;
      }
      // Workers write realistic reports of ~4k tokens: what a supervisor reading files would pay for.
      return {
        ...reply,
        content: reply.content.map((b) => (b.type === 'tool_use' && b.name === 'write_output'
          ? { ...b, input: { ...b.input, content: String(b.input.content).replace('<!-- DONE -->', `${'- detail line of the report, long enough to matter.\n'.repeat(320)}\n<!-- DONE -->`) } }
          : b)),
      };
    });
    const run = await orchestrator(fake).plan({ task: 'Investigate the shop for security issues', pattern: 'supervisor' });
    const outcome = await run.execute();
    await run.ledger.close();
    expect(outcome.status).toBe('completed');

    const rounds = state(run.dir).rounds;
    expect(rounds.length).toBeGreaterThanOrEqual(2);
    const workerFileTokens = run.ledger.agents.filter((a) => a.role === 'worker')
      .map((a) => estimateTokens(readFileSync(path.join(run.dir, a.outputFile), 'utf8')));
    for (let i = 1; i < rounds.length; i++) {
      const growth = rounds[i].promptTokens - rounds[i - 1].promptTokens;
      // Grows by the returns plus the spawn call that asked for them and a little framing …
      expect(growth).toBeGreaterThanOrEqual(rounds[i].returnTokens);
      expect(growth).toBeLessThanOrEqual(rounds[i].returnTokens + estimateTokens(spawnCalls[i - 1]) + 150);
      // … and nowhere near the files of the workers it woke on.
      expect(growth * 10).toBeLessThan(workerFileTokens.reduce((a, b) => a + b, 0));
    }
    const logged = events(run.dir).filter((e) => e.type === 'log' && /round \d+ woke with \d+ prompt tokens/.test(e.message));
    expect(logged.length).toBe(rounds.length);
    expect(run.ledger.totals.parentContextTokens).toBe(rounds.at(-1)!.lastPromptTokens);
    expect(run.ledger.totals.parentContextTokens * 5).toBeLessThan(run.ledger.totals.flatBaselineTokens);
    console.log(`[supervisor context] prompt tokens per round ${rounds.map((r) => r.promptTokens).join(' → ')}; returns per round `
      + `${rounds.map((r) => r.returnTokens).join(', ')}; worker files ${workerFileTokens.reduce((a, b) => a + b, 0)} tokens`);
  });
});
