/**
 * The pipeline pattern through the real engine and the real SDK over HTTP against the fake
 * Messages API (answered by the simulated model unless a fault says otherwise).
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { endsWithSentinel } from '../../src/engine/files';
import type { PipelinePlan } from '../../src/engine/patterns/pipeline/plan';
import type { LedgerSnapshot } from '../../src/engine/types';
import { simulate } from '../../src/simulator/brain';
import { promptText } from '../../src/simulator/conversation';
import type { ParsedRequest, Reply } from '../../src/simulator/types';
import { makeWorkspace, orchestrator, readJson, startFake, type Fake, type Fault } from './harness';

let fake: Fake | undefined;
afterEach(async () => { await fake?.close(); fake = undefined; });

const TASK = 'Document src/utils step by step: research → outline → draft → review';

async function runPipeline(fault?: Fault, task = TASK) {
  fake = await startFake(makeWorkspace(), fault);
  const orch = orchestrator(fake);
  const run = await orch.plan({ task, pattern: 'pipeline' });
  const outcome = await run.execute();
  await run.ledger.close();
  return { orch, run, outcome, snap: readJson<LedgerSnapshot>(path.join(run.dir, 'ledger.json')) };
}

/** The simulated reply with its write_output content changed by `edit`. */
function editedWrite(req: ParsedRequest, ws: string, edit: (content: string) => string): Reply {
  const reply = simulate(req, ws);
  if (reply.kind !== 'message') return reply;
  return {
    ...reply,
    content: reply.content.map((b) => (b.type === 'tool_use' && b.name === 'write_output'
      ? { ...b, input: { ...b.input, content: edit(String(b.input.content)) } } : b)),
  };
}

describe('a pipeline run', () => {
  it('runs the stages in order, each given only the previous handoff, and the final reads only the last one', async () => {
    const firstPrompts = new Map<string, string>();
    const { run, outcome, snap } = await runPipeline((req, _c, agent) => {
      if (req.messages.length === 1) firstPrompts.set(agent, promptText(req));
      return undefined;
    });

    expect(outcome.reason).toBeNull();
    expect(outcome.status).toBe('completed');
    const plan = run.plan as PipelinePlan;
    expect(plan.stages.map((s) => s.name)).toEqual(['Research', 'Outline', 'Draft', 'Review']);
    expect(snap.groups).toEqual(plan.stages.map((s) => ({ id: s.id, label: s.name })));
    expect(snap.agents.filter((a) => a.role !== 'planner').map((a) => [a.id, a.role, a.dependsOn]))
      .toEqual([['s1', 'stage', []], ['s2', 'stage', ['s1']], ['s3', 'stage', ['s2']], ['s4', 'stage', ['s3']], ['final', 'final', ['s4']]]);

    // Strictly in order: no stage's first request before the one before it finished.
    const order = fake!.log.map((l) => l.agent).filter((a) => a !== 'planner');
    expect([...new Set(order)]).toEqual(['s1', 's2', 's3', 's4', 'final']);

    for (const s of plan.stages) {
      const work = readFileSync(path.join(run.dir, `stages/${s.id}.md`), 'utf8');
      expect(work.startsWith('> _Simulated output')).toBe(true);
      expect(endsWithSentinel(work)).toBe(true);
      const handoff = readFileSync(path.join(run.dir, `handoffs/${s.id}.md`), 'utf8');
      expect(handoff.match(/^## .*$/gm)).toEqual(['## Summary', '## State', '## Next action', '## Artifacts']);
      expect(endsWithSentinel(handoff)).toBe(true);
    }

    // Stage N sees stage N−1's handoff and nothing from before it.
    expect(firstPrompts.get('s1')).toMatch(/# Previous handoff\nNone: this is the first stage/);
    const s3 = firstPrompts.get('s3')!;
    expect(s3).toContain('# Handoff from s2 (Outline)');
    expect(s3).not.toContain('Handoff from s1');
    expect(s3).not.toMatch(/Research \(s1\) read/); // s1's own summary sentence, carried only inside its handoff
    const finalPrompt = firstPrompts.get('final')!;
    expect(finalPrompt).toContain('# Last handoff (s4: Review)');
    expect(finalPrompt).not.toContain('Handoff from s3');

    const summary = readFileSync(path.join(run.dir, 'summary.md'), 'utf8');
    expect(summary).toContain('## Result');
    expect(summary).toContain('## Gaps\n\nNone: every agent completed.');
    expect(endsWithSentinel(summary)).toBe(true);
    expect(snap.totals.parentContextTokens).toBeGreaterThan(0);
    expect(snap.totals.parentContextTokens).toBeLessThan(snap.totals.flatBaselineTokens);
  });

  it('when a middle stage keeps failing, skips the later stages and the final naming it, keeps stage 1, and ends partial', async () => {
    const { run, outcome, snap } = await runPipeline((req, _c, agent) => (agent === 's2'
      ? { kind: 'message', content: [{ type: 'text', text: 'Failed. The research handoff did not name the modules to outline.' }] }
      : undefined), 'Write a guide in three steps: research → outline → draft');

    expect(outcome.status).toBe('partial');
    const s2 = snap.agents.find((a) => a.id === 's2')!;
    expect(s2).toMatchObject({ status: 'failed', attempts: 2 });
    expect(s2.error).toBe('the stage reported: Failed. The research handoff did not name the modules to outline.');
    for (const id of ['s3', 'final']) {
      const a = snap.agents.find((x) => x.id === id)!;
      expect(a.status).toBe('skipped');
      expect(a.requests).toBe(0);
      expect(a.error).toBe(`not started: stage s2 failed: ${s2.error}`);
    }
    expect(fake!.log.filter((l) => l.agent === 's3' || l.agent === 'final')).toEqual([]);

    // Stage 1's work and handoff stay; nothing is invented for the stages that did not run.
    expect(snap.agents.find((a) => a.id === 's1')!.status).toBe('completed');
    expect(endsWithSentinel(readFileSync(path.join(run.dir, 'stages/s1.md'), 'utf8'))).toBe(true);
    expect(existsSync(path.join(run.dir, 'handoffs/s1.md'))).toBe(true);
    for (const f of ['stages/s3.md', 'handoffs/s2.md', 'handoffs/s3.md']) expect(existsSync(path.join(run.dir, f)), f).toBe(false);

    expect(outcome.gaps.map((g) => g.agentId)).toEqual(['s2', 's3', 'final']);
    const summary = readFileSync(path.join(run.dir, 'summary.md'), 'utf8');
    expect(summary.startsWith('# Summary not written')).toBe(true);
    expect(summary).toContain('## Gaps');
    expect(summary).toMatch(/\*\*s2\*\* — the stage reported: Failed\./);
    expect(summary).toMatch(/\*\*s3\*\* — not started: stage s2 failed/);
    expect(summary).toMatch(/\*\*final\*\* — not started: stage s2 failed/);
  });

  it('retries a stage whose handoff lacks a heading, telling it which one', async () => {
    const prompts: string[] = [];
    const { run, outcome } = await runPipeline((req, _c, agent) => {
      if (agent !== 's2') return undefined;
      if (req.messages.length === 1) prompts.push(promptText(req));
      return prompts.length === 1 ? editedWrite(req, fake!.workspace, (c) => c.replace(/### Next action\n[^\n]*\n/, '')) : undefined;
    });
    expect(outcome.status).toBe('completed');
    expect(run.ledger.get('s2')).toMatchObject({ status: 'completed', attempts: 2 });
    expect(prompts).toHaveLength(2);
    expect(prompts[0]).not.toMatch(/previous attempt failed/);
    expect(prompts[1]).toMatch(/previous attempt failed: .*stages\/s2\.md: the `## Handoff` section has the headings .*missing `### Next action`/);
  });

  it('fails the run when the first stage fails, and skips every later stage naming it', async () => {
    const { outcome, snap } = await runPipeline((req, _c, agent) => (agent === 's1'
      ? editedWrite(req, fake!.workspace, (c) => c.replace(/## Handoff[\s\S]*$/, '<!-- DONE -->')) : undefined));
    expect(outcome.status).toBe('failed');
    expect(snap.agents.find((a) => a.id === 's1')!.error).toMatch(/stages\/s1\.md: the file has no `## Handoff` section/);
    for (const a of snap.agents.filter((x) => x.id !== 's1' && x.id !== 'planner')) {
      expect(a.status).toBe('skipped');
      expect(a.error).toMatch(/^not started: stage s1 failed: /);
    }
  });

  it('retry-failed re-runs the failed stage and everything after it, never the stages before', async () => {
    let broken = true;
    const { orch, run, outcome } = await runPipeline((req, _c, agent) => (broken && agent === 's3'
      ? { kind: 'message', content: [{ type: 'text', text: 'Failed. Not yet.' }] } : undefined));
    expect(outcome.status).toBe('partial');
    const s1Before = readFileSync(path.join(run.dir, 'stages/s1.md'), 'utf8');
    broken = false;
    fake!.log.length = 0;
    const again = await orch.open(run.id);
    const retried = await again.execute({ mode: 'retry-failed' });
    await again.ledger.close();
    expect(retried.status).toBe('completed');
    expect([...new Set(fake!.log.map((l) => l.agent))]).toEqual(['s3', 's4', 'final']);
    expect(readFileSync(path.join(run.dir, 'stages/s1.md'), 'utf8')).toBe(s1Before);
    expect(readFileSync(path.join(run.dir, 'summary.md'), 'utf8')).toContain('None: every agent completed.');
  });
});
