/** Lessons in VS Code: the notification when a run ends with proposals, the multi-select QuickPick, and memory.md after it. */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
vi.mock('vscode', async () => await import('./vscode-stub'));
import type { LedgerSnapshot } from '../../src/engine/types';
import { readProposals } from '../../src/engine/memory/proposals';
import { Lessons, OPEN_MEMORY_ACTION, REVIEW_LESSONS_ACTION, REVIEW_LESSONS_COMMAND } from '../../src/vscode/commands/lessons';
import { Notices } from '../../src/vscode/notices';
import type { RunEvent } from '../../src/vscode/runs/runStore';
import { commands, EventEmitter, resetStub, window } from './vscode-stub';

const RUN = '20261207-101500-abcd';
const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });
beforeEach(() => resetStub());

/** A workspace whose run proposed two lessons. */
function setup() {
  const ws = mkdtempSync(path.join(os.tmpdir(), 'orch-vsmem-'));
  dirs.push(ws);
  const runDir = path.join(ws, '.orchestration', RUN);
  mkdirSync(runDir, { recursive: true });
  const proposal = (id: string, kind: string, text: string) => ({ id, kind, text, evidence: ['reviews/b1.json'], status: 'proposed', decidedAt: null });
  writeFileSync(path.join(runDir, 'memory-proposals.json'), JSON.stringify({ version: 1, runId: RUN, proposals: [
    proposal('l1', 'review', 'A reviewer rejected a change twice for the same reason: Name the exports.'),
    proposal('l2', 'check', 'The check `npm test` failed twice for the same cause: boom'),
  ] }));
  const events = new EventEmitter<RunEvent>();
  const store = {
    onDidEvent: events.event,
    get: (id: string) => (id === RUN ? { task: 'Add a doc comment to every source file' } as LedgerSnapshot : undefined),
    runDir: (id: string) => path.join(ws, '.orchestration', id),
  };
  const lessons = new Lessons({
    store, location: { workspace: () => ws, outputRoot: () => '.orchestration' }, notices: new Notices(),
    now: () => new Date('2026-12-07T12:00:00Z'),
  });
  const end = (status: 'completed' | 'partial' | 'declined') => events.fire({ runId: RUN, event: { seq: 9, t: 'x', type: 'run', status } });
  return { ws, runDir, lessons, end, memory: path.join(ws, '.orchestration', 'memory.md') };
}

/** Lets the notification, the pick and the file writes that follow an event settle. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

describe('Review Lessons', () => {
  it('notifies when a run ends with lessons, and appends only the ticked ones to memory.md', async () => {
    const { runDir, lessons, end, memory } = setup();
    window.showInformationMessage.mockImplementation(async (text: unknown) => (String(text).startsWith('2 lessons proposed') ? REVIEW_LESSONS_ACTION : undefined));
    window.showQuickPick.mockImplementation(async (items: unknown) => (items as Array<{ id: string }>).filter((i) => i.id === 'l1'));
    end('partial');
    // Real file reads and writes follow the event: wait for what the user sees, not for a number of ticks.
    await vi.waitFor(() => expect(window.showQuickPick).toHaveBeenCalled(), { timeout: 10_000 });
    expect(window.showInformationMessage.mock.calls[0][0]).toBe('2 lessons proposed for memory.md by run "Add a doc comment to every source file". Nothing is added until you accept.');
    const [items, options] = window.showQuickPick.mock.calls[0] as [Array<{ label: string; description: string; picked: boolean }>, { canPickMany: boolean; title: string }];
    expect(options.canPickMany).toBe(true);
    expect(options.title).toBe(`Lessons from run ${RUN}: tick those to add to memory.md`);
    expect(items.map((i) => [i.label, i.description, i.picked])).toEqual([
      ['A reviewer rejected a change twice for the same reason: Name the exports.', 'review', false],
      ['The check `npm test` failed twice for the same cause: boom', 'check', false],
    ]);
    await vi.waitFor(() => expect(window.showInformationMessage.mock.calls.at(-1)?.[0]).toBe('Added 1 lesson to memory.md.'), { timeout: 10_000 });
    const text = readFileSync(memory, 'utf8');
    expect(text).toContain(`- 2026-12-07 (run ${RUN}, review): A reviewer rejected a change twice for the same reason: Name the exports.\n`);
    expect(text).not.toContain('npm test');
    expect((await readProposals(runDir))!.proposals.map((p) => p.status)).toEqual(['accepted', 'dropped']);
    expect(window.showInformationMessage.mock.calls.at(-1)).toEqual(['Added 1 lesson to memory.md.', OPEN_MEMORY_ACTION]);
    lessons.dispose();
  });

  it('writes nothing when the pick is dismissed or the notification is closed, and nothing is offered after a declined plan', async () => {
    const { runDir, lessons, end, memory } = setup();
    end('declined');
    await settle();
    expect(window.showInformationMessage).not.toHaveBeenCalled();
    end('completed');
    await vi.waitFor(() => expect(window.showInformationMessage).toHaveBeenCalledTimes(1), { timeout: 10_000 });
    await settle();
    expect(window.showQuickPick).not.toHaveBeenCalled();
    await commands.registered.get(REVIEW_LESSONS_COMMAND)!(RUN);
    expect(window.showQuickPick).toHaveBeenCalledTimes(1);
    expect(existsSync(memory)).toBe(false);
    expect((await readProposals(runDir))!.proposals.map((p) => p.status)).toEqual(['proposed', 'proposed']);
    lessons.dispose();
  });

  it('runs from the Ledger\'s run item, and says so when a run has nothing waiting', async () => {
    const { lessons } = setup();
    window.showQuickPick.mockImplementation(async (items: unknown) => items);
    await commands.registered.get(REVIEW_LESSONS_COMMAND)!({ kind: 'run', runId: RUN });
    await commands.registered.get(REVIEW_LESSONS_COMMAND)!({ kind: 'run', runId: RUN });
    expect(window.showInformationMessage.mock.calls.map((c) => c[0])).toEqual(['Added 2 lessons to memory.md.', `Run ${RUN} has no lessons waiting for you.`]);
    lessons.dispose();
    expect(commands.registered.has(REVIEW_LESSONS_COMMAND)).toBe(false);
  });
});
