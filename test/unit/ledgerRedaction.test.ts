import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/engine/config';
import { Ledger, PLANNER_ID } from '../../src/engine/ledger/ledger';
import { agentRecord } from '../../src/engine/patterns/pattern';
import { marker } from '../../src/engine/redact';
import type { EngineEvent, LedgerSnapshot } from '../../src/engine/types';
import { fakeAnthropicKey, fakeGithubToken } from '../fixtures/secrets';

const config = parseConfig({});

async function ledger(): Promise<Ledger> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ledger-redact-'));
  const rec = (id: string) => agentRecord(config, { id, role: id === PLANNER_ID ? 'planner' : 'worker', domain: null, tier: 'haiku', task: 't', scope: [], dependsOn: [], outputFile: `${id}.md` });
  return Ledger.create(dir, { runId: '20260101-000000-abcd', task: `audit with ${fakeGithubToken('task')}`, workspace: dir, simulated: false }, [rec(PLANNER_ID), rec('a1')]);
}

describe('the ledger\'s free text', () => {
  it('is redacted before ledger.json or events.jsonl hold it, and what was withheld is counted on the agent', async () => {
    const l = await ledger();
    const key = fakeAnthropicKey('ledger');
    const token = fakeGithubToken('ledger');
    const events: EngineEvent[] = [];
    l.onDidChange((e) => events.push(e));
    l.transition('a1', 'running', { attempts: 1 });
    l.recordTool('a1', 'read_file', false, `refused: ${token}`);
    l.transition('a1', 'retrying', { error: `check printed ANTHROPIC_API_KEY=${key}` });
    l.setReturn('a1', `Done. Found ${token}.`, 5);
    l.log('warn', `retry after ${key}`);
    l.recordCommand('ask', 'a1', `asked about ${token}`);
    l.setRunStatus('failed', `a1 failed: ${key}`);
    l.setGaps([{ agentId: 'a1', outputFile: 'a1.md', reason: `env held ${key}` }]);
    await l.flush();

    const files = [await fs.readFile(path.join(l.dir, 'ledger.json'), 'utf8'), await fs.readFile(path.join(l.dir, 'events.jsonl'), 'utf8')];
    for (const text of files) {
      expect(text).not.toContain(key);
      expect(text).not.toContain(token);
    }
    const snap = JSON.parse(files[0]) as LedgerSnapshot;
    const a1 = snap.agents.find((a) => a.id === 'a1')!;
    expect(a1.error).toBe(`check printed ANTHROPIC_API_KEY=${marker('anthropic')}`);
    expect(a1.returned).toBe(`Done. Found ${marker('github')}.`);
    expect(snap.task).toBe(`audit with ${marker('github')}`);
    // The agent's own texts: the tool detail, its error, its return and the command on it.
    expect(a1.redactions).toBe(4);
    expect(snap.agents.find((a) => a.id === PLANNER_ID)!.redactions).toBeUndefined();
    const counted = events.filter((e): e is Extract<EngineEvent, { type: 'redactions' }> => e.type === 'redactions');
    expect(counted.map((e) => [e.id, e.count, e.total])).toEqual([['a1', 1, 1], ['a1', 1, 2], ['a1', 1, 3], ['a1', 1, 4]]);
  });

  it('counts secrets withheld on an agent\'s behalf elsewhere (a tool result, a response), and ignores zero', async () => {
    const l = await ledger();
    expect(l.redactFor('a1', `x ${fakeGithubToken('x')} y`)).toBe(`x ${marker('github')} y`);
    l.countRedactions('a1', 0);
    l.countRedactions('a1', 2);
    expect(l.get('a1')!.redactions).toBe(3);
  });
});
