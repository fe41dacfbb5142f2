import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
vi.mock('vscode', async () => await import('./vscode-stub'));
import { FIX_FINDINGS_COMMAND, FixFindings, preselected } from '../../src/vscode/commands/fixFindings';
import { RunLocation } from '../../src/vscode/location';
import { RunStore } from '../../src/vscode/runs/runStore';
import { Notices } from '../../src/vscode/notices';
import { agent, snapshot, tempRunFolder } from './vscode/fixtures';
import { commands, resetStub, Uri, window, workspace } from './vscode-stub';

const { ws, runId, runDir } = tempRunFolder('orch-fix-', '# a1\n<!-- DONE -->\n');
afterAll(() => rmSync(ws, { recursive: true, force: true }));

const SYNTHESIS = [
  '## Top findings',
  '1. [critical] `src/db.js:4` — query built from interpolated values (a1)',
  '2. [minor] `src/util.js` — long function (a1)',
  '3. [high] `src/auth.js:9` — token compared with === (a1)',
  '', '<!-- DONE -->', '',
].join('\n');

function writeRun(status: 'completed' | 'running'): void {
  mkdirSync(path.join(runDir, 'synthesis'), { recursive: true });
  writeFileSync(path.join(runDir, 'synthesis', 'a.md'), SYNTHESIS);
  writeFileSync(path.join(runDir, 'ledger.json'), JSON.stringify(snapshot({
    status, workspace: ws, pid: null, pattern: 'fan-out',
    agents: [agent(), agent({ id: 'coord-a', role: 'coordinator', tier: 'sonnet', outputFile: 'synthesis/a.md' })],
  })));
}

const controller = { isActive: vi.fn(() => false), orchestrate: vi.fn() };

function setup() {
  workspace.workspaceFolders = [{ uri: Uri.file(ws) }];
  const location = new RunLocation();
  const store = new RunStore(location, { info() {}, warn() {}, error() {} });
  const fix = new FixFindings({ store, controller: controller, location, notices: new Notices() });
  return { dispose: () => { fix.dispose(); store.dispose(); }, run: (...args: unknown[]) => commands.registered.get(FIX_FINDINGS_COMMAND)!(...args) };
}

beforeEach(() => { resetStub(); vi.clearAllMocks(); });

describe('Fix Findings (orchestration.fixFindings)', () => {
  it('lists the findings with severity and file, critical and major ticked, then plans a build from the ticked ones', async () => {
    writeRun('completed');
    const { run, dispose } = setup();
    let offered: Array<{ label: string; description?: string; picked?: boolean; finding: { id: string } }> = [];
    window.showQuickPick.mockImplementation(async (items: unknown, opts: unknown) => {
      offered = items as typeof offered;
      expect(opts).toMatchObject({ canPickMany: true });
      return offered.filter((i) => i.picked);
    });
    window.showInputBox.mockImplementation(async (opts: unknown) => (opts as { value: string }).value);
    await run({ runId });
    expect(offered.map((i) => [i.label, i.description, i.picked])).toEqual([
      ['F1 · critical', 'src/db.js:4', true], ['F2 · minor', 'src/util.js', false], ['F3 · major', 'src/auth.js:9', true],
    ]);
    expect(controller.orchestrate).toHaveBeenCalledWith(`Fix the selected findings from ${runId}`, [], 'build', {
      findings: { from: runId, pattern: 'fan-out', findings: [expect.objectContaining({ id: 'F1', file: 'src/db.js', line: 4 }), expect.objectContaining({ id: 'F3', severity: 'major' })],
        // The unticked ones go with them: a finding the user rejected is a lesson memory may propose.
        notChosen: [expect.objectContaining({ id: 'F2' })] },
    });
    dispose();
  });

  it('says why, and plans nothing, for a run still running; nothing ticked plans nothing either', async () => {
    writeRun('running');
    // Its ledger names this process as the owner: a live run.
    writeFileSync(path.join(runDir, 'ledger.json'), JSON.stringify({ ...snapshot({ status: 'running', workspace: ws, pattern: 'fan-out' }), pid: process.pid }));
    controller.isActive.mockReturnValue(true);
    const { run, dispose } = setup();
    await run(runId);
    expect(window.showWarningMessage).toHaveBeenCalledWith(expect.stringMatching(new RegExp(`^Fix Findings: Run ${runId} is still running`)));
    expect(window.showQuickPick).not.toHaveBeenCalled();
    controller.isActive.mockReturnValue(false);
    writeRun('completed');
    window.showQuickPick.mockResolvedValue([]);
    await run(runId);
    expect(window.showInputBox).not.toHaveBeenCalled();
    expect(controller.orchestrate).not.toHaveBeenCalled();
    dispose();
  });

  it('ticks everything when no finding is rated critical or major', () => {
    const f = (id: string, severity: 'minor' | null) => ({ id, text: 't', severity, file: null, line: null, source: 's' });
    expect([...preselected([f('F1', 'minor'), f('F2', null)])]).toEqual(['F1', 'F2']);
  });
});
