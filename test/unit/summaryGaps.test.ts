import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { endsWithSentinel } from '../../src/engine/files';
import { gapsSection, withoutGapsSection, writeSummaryGaps } from '../../src/engine/run/summaryGaps';
import { expectTotalsMatchAgents } from '../integration/harness';
import { SENTINEL, type LedgerSnapshot } from '../../src/engine/types';

const gaps = [
  { agentId: 'b2', outputFile: 'workers/b2.md', reason: 'workers/b2.md does not end with the line <!-- DONE -->' },
  { agentId: 'c1', outputFile: 'workers/c1.md', reason: 'not started: cost cap reached' },
];

describe('summary.md gaps', () => {
  it('replaces a Gaps section the model wrote with the engine\'s, before the sentinel', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'gaps-'));
    const file = path.join(dir, 'summary.md');
    writeFileSync(file, `# Summary\n\nAll good.\n\n## Gaps\n\nNone at all!\n\n## Next steps\n\nShip it.\n\n${SENTINEL}\n`);
    await writeSummaryGaps(file, gaps, true, null);
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain('None at all!');
    expect(text).toContain('## Next steps');
    expect(text.match(/^## Gaps$/gm)).toHaveLength(1);
    expect(text).toContain('**b2** — workers/b2.md does not end with the line <!-- DONE --> — workers/b2.md (not written)');
    expect(text.trimEnd().endsWith(SENTINEL)).toBe(true);
  });

  it('writes a summary that says the final step did not finish, without the sentinel, when it never ran', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'gaps-'));
    const file = path.join(dir, 'summary.md');
    await writeSummaryGaps(file, gaps, false, 'stopped on a terminal API error: 401');
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/^# Summary not written/);
    expect(text).toContain('401');
    expect(text).toContain('**c1**');
    expect(endsWithSentinel(text)).toBe(false);
  });

  it('says so when nothing is missing, and links only files that exist', () => {
    expect(gapsSection([], () => true)).toContain('None: every agent completed.');
    expect(gapsSection(gaps, (rel) => rel === 'workers/b2.md')).toContain('[workers/b2.md](workers/b2.md)');
  });

  it('cuts a Gaps section of any level up to the next heading of its level or higher', () => {
    expect(withoutGapsSection('# S\n### Gaps\n- x\n#### detail\n- y\n## Next\nz')).toBe('# S\n## Next\nz');
  });
});

describe('the accounting invariant check', () => {
  it('fails when the totals hold usage no agent holds', () => {
    const agent = { usage: { input: 10, output: 5, cacheRead: 0, cacheWrite: 0 }, costUsd: 0.1, requests: 1, toolCalls: 2 };
    const snap = {
      runId: 'r', agents: [agent],
      totals: { usage: { input: 10, output: 5, cacheRead: 0, cacheWrite: 0 }, costUsd: 0.1, requests: 1, toolCalls: 2 },
    } as unknown as LedgerSnapshot;
    expect(() => expectTotalsMatchAgents(snap)).not.toThrow();
    snap.totals.usage.input = 612;
    snap.totals.requests = 2;
    expect(() => expectTotalsMatchAgents(snap)).toThrow(/input \(totals 612, agents 10\), requests \(totals 2, agents 1\)/);
  });
});
