/**
 * Transcripts of real runs through the real SDK over HTTP: every agent's, the planner's included,
 * written as they work and streamed live; secrets the tools refused, and key-shaped text the
 * agents saw, never in them.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readTranscript, transcriptFile, type TranscriptEntry, type TranscriptEvent } from '../../src/engine/transcripts';
import { fakeAnthropicKey } from '../fixtures/secrets';
import { makeWorkspace, orchestrator, planReply, startFake, type Fake } from './harness';

let fake: Fake | undefined;
afterEach(async () => { await fake?.close(); fake = undefined; });

const FAKE_KEY = fakeAnthropicKey('committed');

describe('transcripts of a run', () => {
  it('records every agent, the planner included, live and on disk, with retries and without secrets', async () => {
    const ws = makeWorkspace();
    writeFileSync(path.join(ws, 'src/settings.js'), `// deployment settings\nmodule.exports = { anthropicKey: '${FAKE_KEY}' };\n`);
    let b1Throttled = false;
    fake = await startFake(ws, (req, _c, agent) => {
      if (agent === 'planner') return planReply(3, 3);
      // a1 first tries the .env file (refused by the tools) and a file holding a key-shaped value.
      if (agent === 'a1' && req.messages.length === 1) {
        return { kind: 'message', content: [
          { type: 'tool_use', name: 'read_file', input: { path: '.env' } },
          { type: 'tool_use', name: 'read_file', input: { path: 'src/settings.js' } },
        ] };
      }
      if (agent === 'b1' && !b1Throttled) {
        b1Throttled = true;
        return { kind: 'error', status: 429, type: 'rate_limit_error', message: 'slow down', headers: { 'retry-after': '0.05' } };
      }
      return undefined;
    });
    const run = await orchestrator(fake).plan({ task: 'Audit the shop' });
    const live: TranscriptEvent[] = [];
    const sub = run.onDidTranscript((e) => live.push(e));
    const outcome = await run.execute();
    sub.dispose();
    await run.ledger.close();
    expect(outcome.status).toBe('completed');

    const byAgent = new Map<string, TranscriptEntry[]>();
    for (const a of run.ledger.agents) {
      const { entries, problem } = await readTranscript(run.dir, a.id);
      expect(problem, a.id).toBeNull();
      const types = new Set(entries.map((e) => e.type));
      for (const t of ['attempt', 'request', 'usage'] as const) expect(types.has(t), `${a.id} has ${t}`).toBe(true);
      expect(types.has('text_delta'), a.id).toBe(false);
      // What the transcript priced is what the ledger charged the agent.
      const cost = entries.reduce((n, e) => n + (e.type === 'usage' ? e.costUsd : 0), 0);
      expect(cost).toBeCloseTo(a.costUsd, 9);
      expect(entries.filter((e) => e.type === 'request')).toHaveLength(a.requests);
      byAgent.set(a.id, entries);
    }
    expect(byAgent.size).toBe(3 * 3 + 3 + 1 + 1);

    const planner = byAgent.get('planner')!;
    expect(planner.find((e) => e.type === 'tool_call')).toMatchObject({ name: 'plan_fan_out' });
    expect(planner.find((e) => e.type === 'tool_result')).toMatchObject({ ok: true, excerpt: 'plan accepted: fan-out, 13 agents' });
    const coordinator = byAgent.get('coord-a')!;
    expect(coordinator[0]).toMatchObject({ type: 'attempt', attempt: 1, model: 'claude-sonnet-5-5', sharedHash: null });

    const a1 = byAgent.get('a1')!;
    const env = a1.find((e) => e.type === 'tool_result' && !e.ok);
    expect(env).toMatchObject({ type: 'tool_result', ok: false });
    expect(env?.type === 'tool_result' && env.excerpt).toMatch(/refused: \.env looks like a secret file/);
    const a1Text = readFileSync(transcriptFile(run.dir, 'a1'), 'utf8');
    expect(a1Text).toContain('module.exports = { anthropicKey:');
    expect(a1Text).toContain('[redacted:anthropic]');
    expect(a1Text).not.toContain(FAKE_KEY.slice(20, 60));
    expect(a1Text).not.toContain('this-file-must-never-be-read-by-an-agent');

    const retry = byAgent.get('b1')!.find((e) => e.type === 'retry');
    expect(retry).toMatchObject({ type: 'retry', n: 1, attempt: 1 });
    expect(retry?.type === 'retry' && retry.reason).toMatch(/^429 rate_limit_error/);

    // Live: the streamed text arrived in pieces before the whole text was written.
    const deltas = live.filter((e) => e.entry.type === 'text_delta');
    expect(deltas.length).toBeGreaterThan(10);
    const finalDeltas = deltas.filter((e) => e.agentId === 'final').map((e) => (e.entry.type === 'text_delta' ? e.entry.text : '')).join('');
    const finalText = byAgent.get('final')!.find((e) => e.type === 'text');
    expect(finalText?.type === 'text' && finalText.text).toBe(finalDeltas.trim());
    expect(live.filter((e) => e.entry.type !== 'text_delta').length).toBe([...byAgent.values()].reduce((n, es) => n + es.length, 0) - planner.length);
  });

  it('records a supervisor round: its spawn_workers call and what the engine answered', async () => {
    const ws = makeWorkspace();
    fake = await startFake(ws);
    const run = await orchestrator(fake).plan({ task: 'Investigate why checkout fails', pattern: 'supervisor' });
    const outcome = await run.execute();
    await run.ledger.close();
    expect(outcome.status).toBe('completed');
    const { entries } = await readTranscript(run.dir, 'sup-1');
    const call = entries.find((e) => e.type === 'tool_call');
    expect(call).toMatchObject({ type: 'tool_call', name: 'spawn_workers' });
    expect(entries.find((e) => e.type === 'tool_result')).toMatchObject({ ok: true });
    expect(entries.find((e) => e.type === 'tool_result' && e.excerpt.startsWith('spawned w1'))).toBeDefined();
    for (const a of run.ledger.agents) expect((await readTranscript(run.dir, a.id)).entries.length, a.id).toBeGreaterThan(0);
  });
});
