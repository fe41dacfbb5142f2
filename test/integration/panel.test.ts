/** The panel pattern through the real engine and the real SDK over HTTP (fake server and simulator). */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { endsWithSentinel } from '../../src/engine/files';
import { AnthropicModelClient } from '../../src/engine/model/anthropic';
import { parseConfig } from '../../src/engine/config';
import { Orchestrator } from '../../src/engine/orchestrator';
import type { Tally } from '../../src/engine/patterns/panel/tally';
import type { LedgerSnapshot } from '../../src/engine/types';
import { simulate } from '../../src/simulator/brain';
import { promptText } from '../../src/simulator/conversation';
import { startSimulator, type Simulator } from '../../src/simulator/index';
import type { ParsedRequest, Reply } from '../../src/simulator/types';
import { makeWorkspace, orchestrator, PROMPTS, readJson, startFake, type Fake } from './harness';

let fake: Fake | undefined;
let sim: Simulator | undefined;
afterEach(async () => {
  await fake?.close(); fake = undefined;
  await sim?.close(); sim = undefined;
});

/** The simulated reply with each write_output's content passed through `edit`. */
function editWrites(req: ParsedRequest, ws: string, edit: (content: string) => string): Reply {
  const reply = simulate(req, ws);
  if (reply.kind !== 'message') return reply;
  return {
    ...reply,
    content: reply.content.map((b) => (b.type === 'tool_use' && b.name === 'write_output'
      ? { ...b, input: { ...b.input, content: edit(String(b.input.content)) } }
      : b)),
  };
}

/** The failed expert's file, next to the consensus's output file. */
const failedFile = (req: ParsedRequest): string => (/^Output file: (.*)summary\.md$/m.exec(promptText(req))?.[1] ?? '') + 'experts/e3.md';

function alsoReads(reply: Reply, path: string): Reply {
  return reply.kind === 'message' ? { ...reply, content: [...reply.content, { type: 'tool_use', name: 'read_file', input: { path } }] } : reply;
}

/** An expert whose verdict block never validates: it keeps answering "maybe". */
const undecided = (req: ParsedRequest, ws: string): Reply =>
  editWrites(req, ws, (c) => c.replace(/"verdict":"(yes|no|conditional)"/, '"verdict":"maybe"'));

describe('a panel with one failed expert', () => {
  it('names the expert as a gap, tallies 4 of 5, still runs the consensus and ends partial', async () => {
    const ws = makeWorkspace();
    const requests: Array<{ agent: string; req: ParsedRequest }> = [];
    fake = await startFake(ws, (req, _c, agent) => {
      requests.push({ agent, req });
      if (agent === 'e3') return undecided(req, ws);
      // A consensus that tries to read the failed expert's file anyway, next to its listed files.
      if (agent === 'consensus' && req.messages.length === 1) return alsoReads(simulate(req, ws), failedFile(req));
      return undefined;
    });
    const run = await orchestrator(fake).plan({ task: 'Is the shop ready for production?', pattern: 'panel' });
    expect(run.plan.pattern).toBe('panel');
    const outcome = await run.execute();
    await run.ledger.close();

    expect(outcome.status).toBe('partial');
    expect(outcome.gaps.map((g) => g.agentId)).toEqual(['e3']);
    const snap = readJson<LedgerSnapshot>(join(run.dir, 'ledger.json'));
    const e3 = snap.agents.find((a) => a.id === 'e3')!;
    expect(e3).toMatchObject({ status: 'failed', attempts: 2 });
    expect(e3.error).toMatch(/verdict block does not match .*verdict\.verdict/);
    // The retry was told what the zod check said.
    const e3Users = requests.filter((r) => r.agent === 'e3' && r.req.messages.length === 1).map((r) => promptText(r.req));
    expect(e3Users).toHaveLength(2);
    expect(e3Users[1]).toMatch(/previous attempt failed: .*verdict\.verdict/);

    // The engine's tally: 4 of 5 answered, a quorum of 3 met, e3 a named gap.
    const tally = readJson<Tally>(join(run.dir, 'panel/tally.json'));
    expect(tally).toMatchObject({ planned: 5, answered: 4, quorum: 3, quorumMet: true });
    expect(tally.gaps.map((g) => g.id)).toEqual(['e3']);
    expect(tally.gaps[0].reason).toMatch(/^failed — .*maybe/);
    expect(tally.counts.yes + tally.counts.conditional + tally.counts.no).toBe(4);
    expect(tally.line).toMatch(/^answered 4 of 5; quorum 3 met; .*gap: e3$/);
    const events = readFileSync(join(run.dir, 'events.jsonl'), 'utf8');
    expect(events).toContain('panel tally: answered 4 of 5; quorum 3 met');

    // The consensus ran with the tally and never got e3's file to read.
    const consensus = snap.agents.find((a) => a.id === 'consensus')!;
    expect(consensus.status).toBe('completed');
    expect(consensus.returned).toContain('answered 4 of 5');
    const consensusPrompt = promptText(requests.find((r) => r.agent === 'consensus')!.req);
    expect(consensusPrompt).toContain('Answered 4 of 5 experts — quorum of 3 met');
    expect(consensusPrompt).toMatch(/- e3, maintainer: no answer — failed/);
    const refused = requests.filter((r) => r.agent === 'consensus').flatMap((r) => r.req.messages.flatMap((m) => m.content))
      .find((b) => b.type === 'tool_result' && b.is_error && JSON.stringify(b.content).includes('experts/e3.md'));
    expect(JSON.stringify(refused)).toMatch(/refused: .*experts\/e3\.md is inside the output root/);

    const summary = readFileSync(join(run.dir, 'summary.md'), 'utf8');
    for (const heading of ['## Verdict', '## Where experts agree', '## Where experts disagree', '## Panel tally', '## Gaps']) {
      expect(summary).toContain(heading);
    }
    expect(summary).toMatch(/\| e3 \| maintainer \| — \(gap\) \|/);
    expect(summary).toMatch(/\*\*e3\*\* — .*maybe/);
    expect(endsWithSentinel(summary)).toBe(true);
    // Every expert that answered carries its verdict in the ledger, for a verdict table.
    for (const a of snap.agents.filter((x) => x.role === 'expert' && x.id !== 'e3')) {
      expect(a.returned).toMatch(/^Verdict (yes|conditional|no) \(confidence \d\.\d\d\)/);
    }
  });

  it('says the quorum was not met when too few experts answer, and the consensus gives no verdict', async () => {
    const ws = makeWorkspace();
    fake = await startFake(ws, (req, _c, agent) => (['e2', 'e3', 'e4'].includes(agent) ? undecided(req, ws) : undefined));
    const run = await orchestrator(fake, { retries: 0 }).plan({ task: 'Is the shop ready for production?', pattern: 'panel' });
    const outcome = await run.execute();
    await run.ledger.close();

    expect(outcome.status).toBe('partial');
    const tally = readJson<Tally>(join(run.dir, 'panel/tally.json'));
    expect(tally).toMatchObject({ answered: 2, quorum: 3, quorumMet: false });
    expect(tally.gaps.map((g) => g.id)).toEqual(['e2', 'e3', 'e4']);
    const summary = readFileSync(join(run.dir, 'summary.md'), 'utf8');
    expect(summary).toContain('No verdict: quorum not met');
    expect(summary).toContain('quorum of 3 NOT met');
  });
});

describe('retrying a panel\'s failed expert', () => {
  it('re-runs the expert and then the consensus, whose tally now counts it', async () => {
    const ws = makeWorkspace();
    let broken = true;
    fake = await startFake(ws, (req, _c, agent) => (broken && agent === 'e3' ? undecided(req, ws) : undefined));
    const orch = orchestrator(fake, { retries: 0 });
    const first = await orch.plan({ task: 'Is the shop ready for production?', pattern: 'panel' });
    expect((await first.execute()).status).toBe('partial');
    await first.ledger.close();

    broken = false;
    const before = fake.log.length;
    const again = await orch.open(first.id);
    const outcome = await again.execute({ mode: 'retry-failed' });
    await again.ledger.close();
    expect(outcome.status).toBe('completed');
    expect(new Set(fake.log.slice(before).map((l) => l.agent))).toEqual(new Set(['e3', 'consensus']));
    expect(readJson<Tally>(join(first.dir, 'panel/tally.json'))).toMatchObject({ answered: 5, gaps: [] });
    const summary = readFileSync(join(first.dir, 'summary.md'), 'utf8');
    expect(summary.match(/## Panel tally/g)).toHaveLength(1);
    expect(summary).toContain('None: every agent completed.');
  });
});

describe('resuming a panel', () => {
  it('re-runs an expert whose finished-looking file holds an invalid verdict, then the consensus', async () => {
    const ws = makeWorkspace();
    let broken = true;
    fake = await startFake(ws, (req, _c, agent) => (broken && agent === 'e3' ? undecided(req, ws) : undefined));
    const orch = orchestrator(fake, { retries: 0 });
    const first = await orch.plan({ task: 'Is the shop ready for production?', pattern: 'panel' });
    expect((await first.execute()).status).toBe('partial');
    await first.ledger.close();
    // The file ends with the sentinel; only the recorded return proves the expert's verdict was valid.
    expect(endsWithSentinel(readFileSync(join(first.dir, 'experts/e3.md'), 'utf8'))).toBe(true);

    broken = false;
    const before = fake.log.length;
    const again = await orch.open(first.id);
    const outcome = await again.execute({ mode: 'resume' });
    await again.ledger.close();
    expect(outcome.status).toBe('completed');
    // The consensus had finished around the gap; it runs again so the summary counts e3.
    expect(new Set(fake.log.slice(before).map((l) => l.agent))).toEqual(new Set(['e3', 'consensus']));
    expect(readJson<Tally>(join(first.dir, 'panel/tally.json'))).toMatchObject({ answered: 5, gaps: [] });
  });
});

describe('a panel where no expert answers', () => {
  it('fails without calling the consensus model: there is nothing to weigh', async () => {
    const ws = makeWorkspace();
    fake = await startFake(ws, (req, _c, agent) => (/^e\d$/.test(agent) ? undecided(req, ws) : undefined));
    const run = await orchestrator(fake, { retries: 0, maxFailedWorkers: 10 }).plan({ task: 'Is the shop ready for production?', pattern: 'panel' });
    const outcome = await run.execute();
    await run.ledger.close();

    expect(outcome.status).toBe('failed');
    const consensus = run.ledger.get('consensus');
    expect(consensus).toMatchObject({ status: 'failed', requests: 0 });
    expect(consensus?.error).toMatch(/^no expert answered \(answered 0 of 5; quorum 3 not met; no verdicts/);
    expect(fake.log.some((l) => l.agent === 'consensus')).toBe(false);
    expect(readJson<Tally>(join(run.dir, 'panel/tally.json')).gaps).toHaveLength(5);
    expect(readFileSync(join(run.dir, 'summary.md'), 'utf8')).toMatch(/^# Summary not written/);
  });
});

describe('a planned panel of one expert', () => {
  it('is refused with the count and the bounds, the planner is re-asked with the error, and nothing runs', async () => {
    const ws = makeWorkspace();
    const plannerPrompts: string[] = [];
    const lonely: Reply = {
      kind: 'message',
      content: [{ type: 'tool_use', name: 'plan_panel', input: {
        reason: 'one opinion', question: 'Is the shop ready for production?',
        experts: [{ id: 'e1', perspective: 'security reviewer', task: 'Judge the security of the shop', tier: 'opus' }],
      } }],
    };
    fake = await startFake(ws, (req, _c, agent) => {
      if (agent !== 'planner') return undefined;
      plannerPrompts.push(promptText(req));
      return lonely;
    });
    await expect(orchestrator(fake, { planRetries: 1 }).plan({ task: 'Is the shop ready for production?', pattern: 'panel' }))
      .rejects.toThrow('Panel has 1 expert; between 3 and 7 are allowed, each with a distinct perspective');
    expect(plannerPrompts).toHaveLength(2);
    expect(plannerPrompts[1]).toContain('# Validation errors');
    expect(plannerPrompts[1]).toContain('- Panel has 1 expert; between 3 and 7 are allowed');
    expect(fake.log.map((l) => l.agent)).toEqual(['planner', 'planner']);
  });
});

describe('panel experts are independent', () => {
  it("sends no expert another expert's answer, while the consensus reads them all", async () => {
    const ws = makeWorkspace();
    const requests: Array<{ agent: string; body: string }> = [];
    fake = await startFake(ws, (req, _c, agent) => {
      requests.push({ agent, body: JSON.stringify(req.body) });
      // Each expert's answer carries a token found nowhere else, so a leak would show in a request.
      return /^e\d$/.test(agent) ? editWrites(req, ws, (c) => c.replace('## Assessment', `## Assessment\n\nANSWER-TOKEN-${agent}`)) : undefined;
    });
    const run = await orchestrator(fake).plan({ task: 'Should we ship the order service?', pattern: 'panel' });
    const outcome = await run.execute();
    await run.ledger.close();
    expect(outcome.status).toBe('completed');

    const experts = run.ledger.agents.filter((a) => a.role === 'expert');
    expect(experts.length).toBeGreaterThanOrEqual(3);
    expect(experts.every((a) => a.dependsOn.length === 0)).toBe(true);
    for (const { agent, body } of requests.filter((r) => /^e\d$/.test(r.agent))) {
      for (const other of experts.map((e) => e.id).filter((id) => id !== agent)) {
        expect(body, `a request of ${agent}`).not.toContain(`ANSWER-TOKEN-${other}`);
      }
    }
    // The tokens were really in the files: the consensus, which reads them, saw every one.
    const consensusBodies = requests.filter((r) => r.agent === 'consensus').map((r) => r.body).join('\n');
    for (const e of experts) expect(consensusBodies).toContain(`ANSWER-TOKEN-${e.id}`);
  });
});

describe('a simulated panel run', () => {
  it('plans a panel for a judgement task in auto mode and completes with a tally and a summary', async () => {
    const ws = makeWorkspace();
    sim = await startSimulator({ workspace: ws });
    const orch = new Orchestrator({
      workspace: ws, config: parseConfig({ provider: 'simulated' }), simulated: true, promptsDir: PROMPTS,
      model: new AnthropicModelClient({ apiKey: 'simulated', baseUrl: sim.baseUrl }), snapshotIntervalMs: 20,
    });
    const run = await orch.plan({ task: 'Is this shop ready for production?' });
    expect(run.plan.pattern).toBe('panel');
    expect(run.groups).toEqual([{ id: 'experts', label: 'Experts (5)' }]);
    const outcome = await run.execute();
    expect(outcome.reason).toBeNull();
    expect(outcome.status).toBe('completed');

    for (const a of run.ledger.agents.filter((x) => x.role === 'expert')) {
      const text = readFileSync(join(run.dir, a.outputFile), 'utf8');
      expect(text.startsWith('> _Simulated output')).toBe(true);
      expect(text).toMatch(/## Verdict\n\n```json\n\{"verdict":/);
      expect(endsWithSentinel(text)).toBe(true);
    }
    const tally = readJson<Tally>(join(run.dir, 'panel/tally.json'));
    expect(tally).toMatchObject({ planned: 5, answered: 5, quorumMet: true, gaps: [] });
    // Perspectives read different files: the security reviewer rejects what the others accept with conditions.
    expect(tally.experts.find((e) => e.perspective === 'security reviewer')!.verdict!.verdict).toBe('no');
    expect(tally.majority).toBe('conditional');
    expect(tally.dissenters.map((d) => d.id)).toContain('e1');
    const summary = readFileSync(join(run.dir, 'summary.md'), 'utf8');
    expect(summary).toContain('The panel answers **conditional**');
    expect(summary).toMatch(/## Where experts disagree\n\n- \*\*no\*\*: e1 \(security reviewer\)/);
    expect(summary).toContain('None: every agent completed.');
    expect(existsSync(join(run.dir, 'experts/e5.md'))).toBe(true);
  });
});
