// @vitest-environment happy-dom
/** The Summary view's DOM: what a build proposes comes first, a draft has one Approve, and words are counted once. */
import { describe, expect, it, vi } from 'vitest';
import type { AgentView, PipelineView, RunView } from '../../../src/shared/protocol';
import { renderRun, type Actions } from '../../../webview/render';

const RUN = '20250601-115500-ab12';
const agentView = (over: Partial<AgentView> = {}): AgentView => ({
  id: 'a1', task: 'Find handlers', tier: 'haiku', model: 'claude-haiku-5-5', status: 'completed', outputFile: 'workers/a1.md',
  written: true, returned: null, error: null, byEngine: false, batch: false, agentDefinition: null, agentNotes: [], ...over,
});

const run = (over: Partial<RunView> = {}): RunView => ({
  runId: RUN, task: 'Add a doc comment', status: 'completed', reason: null, pattern: 'build', patternReason: null, notes: [], planner: null,
  simulated: true, startedBy: null, planSummary: '', estimate: null, batched: 0,
  actions: { approve: false, decline: false, cancel: false, resume: false, retry: false, reviewDraft: false, fixFindings: false, approveStage: false },
  approvals: [],
  progress: { done: 3, total: 4, active: 0, waiting: 0, failed: 1, cancelled: 0, skipped: 0 },
  changes: null, pipeline: null,
  groupsTitle: 'Groups',
  groups: [{ id: 'scouts', name: 'Scouts (1)', done: 1, total: 1, agents: [agentView({ id: 's1' })], more: 0, coordinator: null }],
  others: [], final: agentView({ id: 'assemble', tier: 'haiku', outputFile: 'summary.md', byEngine: true }), card: null, finalSummary: null,
  totals: {
    agentsByStatus: { completed: 3, failed: 1, pending: 0 }, usage: { input: 1000, output: 200, cacheRead: 0, cacheWrite: 0 },
    costUsd: 0.0024, costByModel: {}, parentContextTokens: 0, flatBaselineTokens: 0, wallMs: 0,
  },
  gaps: [],
  ...over,
});

function mount(node: Node): HTMLElement {
  const host = document.createElement('div');
  host.append(node);
  document.body.replaceChildren(host);
  return host;
}

const actions = (): Record<keyof Actions, ReturnType<typeof vi.fn<(...args: string[]) => void>>> => ({
  approve: vi.fn(), decline: vi.fn(), cancel: vi.fn(), resume: vi.fn(), retryFailed: vi.fn(), fixFindings: vi.fn(), openFile: vi.fn(),
  reviewPlan: vi.fn(), openDiff: vi.fn(), applyChanges: vi.fn(), discardChanges: vi.fn(), shipToBranch: vi.fn(), approveStage: vi.fn(),
});

describe('the Summary view', () => {
  it('puts a build\'s proposed change right under the title, before the Scouts and Builders cards, with Apply and Discard', () => {
    const act = actions();
    const host = mount(renderRun(run({
      changes: {
        state: 'proposed', fileCount: 2, more: 0, added: 4, removed: 1, conflicts: [], canAct: true,
        files: [{ path: 'src/a.ts', status: 'modified', added: 3, removed: 1, binary: false }, { path: 'README.md', status: 'added', added: 1, removed: 0, binary: false }],
      },
    }), act));
    const changes = host.querySelector('#changes')!;
    const groups = host.querySelector('[data-group="scouts"]')!;
    expect(changes.compareDocumentPosition(groups) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    expect(changes.textContent).toContain('2 files · +4 −1');
    (changes.querySelector('[data-diff="src/a.ts"]') as HTMLElement).click();
    (host.querySelector('#apply-changes') as HTMLElement).click();
    (host.querySelector('#discard-changes') as HTMLElement).click();
    const ship = host.querySelector('#ship-to-branch') as HTMLElement;
    expect(ship.textContent).toBe('Ship to Branch');
    ship.click();
    expect(act.shipToBranch).toHaveBeenCalledWith(RUN);
    expect(act.openDiff).toHaveBeenCalledWith(RUN, 'src/a.ts');
    expect(act.applyChanges).toHaveBeenCalledWith(RUN);
    expect(act.discardChanges).toHaveBeenCalledWith(RUN);
  });

  it('shows an applied change without buttons, and one file as "1 file"', () => {
    const host = mount(renderRun(run({
      changes: { state: 'applied', fileCount: 1, more: 0, added: 1, removed: 0, conflicts: [], canAct: false, files: [{ path: 'a.ts', status: 'modified', added: 1, removed: 0, binary: false }] },
    }), actions()));
    expect(host.querySelector('#changes h4')?.textContent).toBe('Changes applied');
    expect(host.querySelector('#changes')?.textContent).toContain('1 file · +1 −0');
    expect(host.querySelectorAll('#apply-changes, #discard-changes, #ship-to-branch')).toHaveLength(0);
  });

  it('names no model for a step the engine does, in the plan table', () => {
    const host = mount(renderRun(run({ status: 'awaiting-approval' }), actions()));
    const rows = Array.from(host.querySelectorAll('#plan-table vscode-data-grid-row')).map((r) => r.textContent ?? '');
    expect(rows.find((r) => r.includes('assemble'))).toContain('engineno model');
    expect(rows.find((r) => r.includes('assemble'))).not.toContain('claude-haiku');
    expect(rows.find((r) => r.includes('s1'))).toContain('haikuclaude-haiku-5-5');
  });

  it('marks the agents that go to a batch in the plan table, and says the estimate prices them at the batch rate', () => {
    const host = mount(renderRun(run({
      status: 'awaiting-approval', batched: 1, estimate: { tokensLow: 1000, tokensHigh: 2000, costLowUsd: 0.1, costHighUsd: 0.2 },
      groups: [{ id: 'map', name: 'Map', done: 0, total: 2, agents: [agentView({ id: 'm1', batch: true }), agentView({ id: 'm2' })], more: 0, coordinator: null }],
    }), actions()));
    const marks = Array.from(host.querySelectorAll('#plan-table .batch-mark'));
    expect(marks.map((m) => m.textContent)).toEqual(['batch']);
    expect(host.querySelector('#batch-note')?.textContent).toBe('1 agent marked "batch" goes through the Message Batches API, priced in the estimate at half the realtime price and answered asynchronously, within 24 h.');
  });

  it('marks, in the plan table, an agent that runs as the user\'s agent definition', () => {
    const host = mount(renderRun(run({
      status: 'awaiting-approval',
      groups: [{ id: 'a', name: 'A', done: 0, total: 2, agents: [agentView({ id: 'a1', agentDefinition: 'api-reviewer', agentNotes: ['Bash not given'] }), agentView({ id: 'a2' })], more: 0, coordinator: null }],
    }), actions()));
    const marks = Array.from(host.querySelectorAll<HTMLElement>('#plan-table .definition-mark'));
    expect(marks.map((m) => [m.textContent, m.title])).toEqual([['@api-reviewer', 'Runs as your agent definition api-reviewer\nBash not given']]);
  });

  it('points to the plan editor instead of approving while it holds an edited draft', () => {
    const act = actions();
    const host = mount(renderRun(run({ status: 'awaiting-approval', actions: { approve: false, decline: true, cancel: false, resume: false, retry: false, reviewDraft: true, fixFindings: false, approveStage: false } }), act));
    expect(host.querySelector('#approve')).toBeNull();
    expect(host.querySelector('#draft-note')?.textContent).toMatch(/Edited in the plan editor/);
    (host.querySelector('#review-draft') as HTMLElement).click();
    expect(act.reviewPlan).toHaveBeenCalledWith(RUN);
  });

  it('offers Fix Findings on a finished audit, and posts its run', () => {
    const act = actions();
    expect(mount(renderRun(run({ status: 'completed' }), act)).querySelector('#fix-findings')).toBeNull();
    const host = mount(renderRun(run({ status: 'completed', actions: { approve: false, decline: false, cancel: false, resume: false, retry: false, reviewDraft: false, fixFindings: true, approveStage: false } }), act));
    const b = host.querySelector('#fix-findings') as HTMLElement;
    expect(b.textContent).toBe('Fix Findings');
    b.click();
    expect(act.fixFindings).toHaveBeenCalledWith(RUN);
  });

  it('says which stage waits for approval and what to look at, with an Approve Stage button that posts the stage', () => {
    const act = actions();
    const waiting = run({
      status: 'partial', reason: 'waiting for approval of stage review', approvals: [{ stage: 'review', message: 'the findings list' }],
      actions: { approve: false, decline: false, cancel: false, resume: true, retry: false, reviewDraft: false, fixFindings: false, approveStage: true },
    });
    const host = mount(renderRun(waiting, act));
    expect(host.querySelector('#approval-wait')?.textContent).toBe('Waiting for your approval: stage review — the findings list');
    const b = host.querySelector('#approve-stage') as HTMLElement;
    expect(b.textContent).toBe('Approve Stage');
    // First among the buttons: it is what the run waits for.
    expect(host.querySelector('.actions')?.firstElementChild).toBe(b);
    b.click();
    expect(act.approveStage).toHaveBeenCalledWith(RUN, 'review');
    // Without the action (the run is executing again) neither the line nor the button shows.
    const gone = mount(renderRun({ ...waiting, actions: { ...waiting.actions, approveStage: false } }, act));
    expect(gone.querySelector('#approval-wait')).toBeNull();
    expect(gone.querySelector('#approve-stage')).toBeNull();
  });

  it('says "would cost" once, and counts agents as runProgress does', () => {
    const host = mount(renderRun(run(), actions()));
    const totals = host.querySelector('#totals')?.textContent ?? '';
    expect(totals).toMatch(/Would cost\$0\.0024/);
    expect(totals).not.toMatch(/would cost\s*would cost/i);
    expect(totals).toContain('3/4 done · 1 failed');
  });

  it('renders a panel expert\'s concerns as a list, not a semicolon blob', () => {
    const host = mount(renderRun(run({
      pattern: 'panel', changes: null,
      card: {
        kind: 'verdicts', experts: { done: 1, total: 1 }, noun: 'expert',
        tally: {
          line: 'answered 1 of 1', planned: 1, answered: 1, quorum: 1, quorumMet: true, majority: 'no', unanimous: true, counts: { no: 1 },
          experts: [{ id: 'e1', perspective: 'security', verdict: 'no', confidence: 0.85, concerns: ['`src/auth.ts` line 5: weak hash', 'hard-coded secret'], gap: null, dissent: false, file: 'experts/e1.md', written: true }],
        },
      },
    }), actions()));
    const items = Array.from(host.querySelectorAll('#verdict-table .concerns li')).map((li) => li.textContent);
    expect(items).toEqual(['src/auth.ts line 5: weak hash', 'hard-coded secret']);
    expect(host.querySelector('#verdict-table')?.textContent).not.toContain(';');
  });
  it('shows the build pipeline under the proposed change: no check set, hardening off, the shipped branch; nothing of it before the integration starts', () => {
    const act = actions();
    const pipeline: PipelineView = {
      integration: { state: 'no-check', command: null, rounds: 0, timedOut: false, log: null, agentId: 'integration' },
      harden: { state: 'off', critical: 0, major: 0, minor: 0, findings: [], more: 0 },
      ship: { state: 'shipped', blockers: [], branch: 'orchestration/20250601-115500-ab12', commit: '0123456789abcdef', pushedTo: null, headMoved: true },
    };
    const changes = { state: 'proposed' as const, fileCount: 1, more: 0, added: 1, removed: 0, conflicts: [], canAct: true, files: [{ path: 'a.ts', status: 'added' as const, added: 1, removed: 0, binary: false }] };
    const host = mount(renderRun(run({ pipeline, changes }), act));
    const section = host.querySelector('#build-pipeline')!;
    expect(host.querySelector('#changes')!.compareDocumentPosition(section) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    expect(section.querySelector('#integration-status')?.textContent).toBe('No check command is set, so nothing was run on the assembled change.');
    expect((section.querySelector('#integration-status') as HTMLElement).dataset.state).toBe('no-check');
    expect(section.querySelector('#integration-log')).toBeNull();
    expect(section.querySelector('#harden-status')?.textContent).toMatch(/^Off: hardening is turned off/);
    expect(section.querySelector('#ship-status')?.textContent).toBe(
      'Shipped as one commit on orchestration/20250601-115500-ab12 (commit 0123456789), not pushed. Made from the run\'s base: your HEAD had moved since the run started.');
    expect(section.querySelector('.findings')).toBeNull();
    const before: PipelineView = {
      integration: { state: 'waiting', command: null, rounds: 0, timedOut: false, log: null, agentId: 'integration' },
      harden: { state: 'waiting', critical: 0, major: 0, minor: 0, findings: [], more: 0 },
      ship: { state: 'waiting', blockers: [], branch: null, commit: null, pushedTo: null, headMoved: false },
    };
    expect(mount(renderRun(run({ pipeline: before, status: 'running' }), act)).querySelector('#build-pipeline')).toBeNull();
    expect(mount(renderRun(run({ pipeline: { ...before, integration: { ...before.integration!, state: 'running' } }, status: 'running' }), act)).querySelector('#build-pipeline')).not.toBeNull();
  });

  it('lists a passed check with its fix rounds and log, and the tally\'s criticals as blocking Ship', () => {
    const act = actions();
    const pipeline: PipelineView = {
      integration: { state: 'passed', command: 'npm test', rounds: 2, timedOut: false, log: 'checks/integration-1.log', agentId: 'integration' },
      harden: { state: 'done', critical: 1, major: 1, minor: 0, more: 0, findings: [
        { id: 'h-security-1', severity: 'critical', concern: 'security', file: 'src/x.ts', line: 3, text: 'SQL built from input', owner: 'b1', status: 'open' },
        { id: 'h-correctness-1', severity: 'major', concern: 'correctness', file: 'src/y.ts', line: null, text: 'Wrong default', owner: 'b2', status: 'fixed' },
      ] },
      ship: { state: 'refused', blockers: ['1 critical finding (in b1\'s files)'], branch: null, commit: null, pushedTo: null, headMoved: false },
    };
    const host = mount(renderRun(run({ pipeline }), act));
    expect(host.querySelector('#integration-status')?.textContent).toBe('Passed on the assembled change (`npm test`), after 1 fix round. Open the log');
    (host.querySelector('#integration-log') as HTMLElement).click();
    expect(act.openFile).toHaveBeenCalledWith(RUN, 'checks/integration-1.log');
    expect(host.querySelector('#harden-status')?.textContent).toBe('1 critical · 1 major · 0 minor — critical findings block Ship.');
    expect(host.querySelectorAll('.critical-findings li')).toHaveLength(1);
    expect(host.querySelector('.other-findings summary')?.textContent).toBe('1 major finding (sent to their builder\'s fix round), 0 minor findings');
    expect(host.querySelector('.listed-findings li')?.textContent).toContain('(owner b2 · fixed)');
  });
});
