/**
 * The fan-out's parent step is sent about as much at many domains and workers as at a few (issue
 * 19: parent context at 1,000 agents ≤ 2 × at 30): the outline, the coordinators' returns and the
 * gaps list are bounded, and each domain is still named with the file of its whole synthesis.
 */
import { describe, expect, it } from 'vitest';
import { simulate } from '../../src/simulator/brain';
import { promptText, roleOf } from '../../src/simulator/conversation';
import { fillReturn } from '../bench/model';
import type { LedgerSnapshot } from '../../src/engine/types';
import { makeWorkspace, orchestrator, planReply, startFake } from './harness';

interface FinalSeen { snap: LedgerSnapshot; prompt: string; asked: Set<string> }

async function runFanOut(domains: number, workers: number, failing: (agent: string) => boolean = () => false): Promise<FinalSeen> {
  const ws = makeWorkspace();
  let prompt = '';
  const asked = new Set<string>();
  const fake = await startFake(ws, (req, _c, agent) => {
    if (agent === 'planner') return planReply(domains, workers);
    if (roleOf(req) === 'final') prompt = promptText(req);
    // Coordinators return all the words they are allowed, as a model asked for a summary does.
    if (roleOf(req) === 'coordinator') {
      asked.add(/in\s+under (\d+) words/.exec(req.system.map((b) => b.text).join('\n'))?.[1] ?? '?');
      return fillReturn(simulate(req, ws), req);
    }
    if (failing(agent)) return { kind: 'error', status: 400, type: 'invalid_request_error', message: 'refused (test)' };
    return undefined;
  });
  try {
    const run = await orchestrator(fake, { domains: { min: 1, max: 26 }, workersPerDomain: { min: 1, max: 20 }, maxFailedWorkers: 1_000 })
      .plan({ task: 'Audit the shop for security issues' });
    await run.execute();
    return { snap: run.ledger.snapshot(), prompt, asked };
  } finally {
    await fake.close();
  }
}

describe('the fan-out final step at scale', () => {
  it('is sent at most twice as much for 26 domains of 12 workers as for 4 of 8, and still names every domain and its synthesis file', async () => {
    const small = await runFanOut(4, 8);
    const large = await runFanOut(26, 12);
    expect(small.snap.status).toBe('completed');
    expect(large.snap.status).toBe('completed');
    expect(large.snap.agents.filter((a) => a.role === 'worker')).toHaveLength(312);
    const ratio = large.snap.totals.parentContextTokens / small.snap.totals.parentContextTokens;
    expect(ratio, `${large.snap.totals.parentContextTokens} ÷ ${small.snap.totals.parentContextTokens} tokens`).toBeLessThanOrEqual(2);
    // The coordinators share what the parent reads: 300 words each at four domains, 57 at 26.
    expect([...small.asked]).toEqual(['300']);
    expect([...large.asked]).toEqual(['57']);
    const returned = (s: LedgerSnapshot) => s.agents.filter((a) => a.role === 'coordinator').map((a) => (a.returned ?? '').split(/\s+/).length);
    expect(Math.max(...returned(small.snap))).toBeGreaterThan(250);
    expect(Math.max(...returned(large.snap))).toBeLessThanOrEqual(57);
    // A small plan is shown whole; a large one by domain, with the plan file named.
    expect(small.prompt).toContain('a2 Review part 2 of area a');
    expect(large.prompt).not.toContain('Review part 2 of area a');
    expect(large.prompt).toContain('12 workers');
    expect(large.prompt).toContain('plan.md');
    for (const d of 'abcdefghijklmnopqrstuvwxyz') expect(large.prompt).toContain(`## Domain ${d}: Domain ${d} (coordinator completed; synthesis/${d}.md)`);
  });

  it('names the first gaps and counts the rest when many workers failed', async () => {
    const { snap, prompt } = await runFanOut(6, 20, (agent) => /^[a-f]\d+$/.test(agent) && Number(agent.slice(1)) % 2 === 0);
    const failed = snap.agents.filter((a) => a.role === 'worker' && a.status === 'failed');
    expect(failed).toHaveLength(60);
    const gaps = prompt.slice(prompt.indexOf('# Known gaps'));
    const named = failed.filter((a) => gaps.includes(`- ${a.id} (`)).length;
    expect(named).toBeGreaterThan(0);
    expect(named).toBeLessThan(60);
    expect(gaps).toContain(`… and ${60 - named} more (the ledger lists every agent)`);
  });
});
