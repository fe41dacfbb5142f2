// @vitest-environment happy-dom
import { describe, expect, it, vi } from 'vitest';
import type { AgentHeader, EntryView } from '../../../src/shared/agentProtocol';
import { BOARD_COLUMNS, type BoardCard, type DashboardView } from '../../../src/shared/dashboardProtocol';
import type { PipelineView } from '../../../src/shared/protocol';
import type { PlanEditorView } from '../../../src/shared/planProtocol';
import { Conversation } from '../../../webview/agent/conversation';
import { renderHeader } from '../../../webview/agent/render';
import { renderDashboard } from '../../../webview/dashboard/render';
import { ticks } from '../../../webview/dashboard/timeline';
import { renderPlanEditor } from '../../../webview/plan/render';

const NASTY = '<img src=x onerror="alert(1)"><script>alert(2)</script>';
const usage = { input: 1200, output: 300, cacheRead: 0, cacheWrite: 0 };
const t = '2025-06-01T12:00:00.000Z';

function mount(node: Node): HTMLElement {
  const host = document.createElement('div');
  host.append(node);
  document.body.replaceChildren(host);
  return host;
}

/** Model text must stay text: no element a model could have smuggled in. */
function expectNoInjectedMarkup(host: HTMLElement): void {
  expect(host.querySelector('img, script, iframe, object')).toBeNull();
  for (const e of Array.from(host.querySelectorAll('*'))) for (const a of Array.from(e.attributes)) expect(a.name.startsWith('on'), a.name).toBe(false);
}

const view = (over: Partial<DashboardView> = {}): DashboardView => ({
  runId: '20250601-115500-ab12', task: `Audit ${NASTY}`, status: 'running', pattern: 'fan-out', simulated: true, fixFindings: false, startedBy: null, live: true,
  startedAt: t, spanMs: 60_000, bins: 4, agents: 3, byStatus: { completed: 1, running: 1, pending: 1 }, costUsd: 0.42, usage,
  progress: { done: 1, total: 3, active: 1, waiting: 1, failed: 0, cancelled: 0, skipped: 0 },
  lanes: [
    { id: 'a', label: `A · HTTP ${NASTY}`, total: 2, byStatus: { completed: 1, running: 1 }, aggregated: false, expanded: false, first: 0, page: 0, pages: 1, density: null,
      rows: [
        { id: 'a1', label: `Find handlers ${NASTY}`, task: `Find handlers ${NASTY} in src/http`, role: 'worker', status: 'completed', tier: 'haiku', model: 'claude-haiku-5-5', attempts: 1, costUsd: 0.01, tokens: 900,
          segments: [{ s: 'queued', a: 0, b: 1000 }, { s: 'running', a: 1000, b: 30_000 }] },
        { id: 'a2', label: 'Review auth', task: 'Review auth', role: 'worker', status: 'running', tier: 'sonnet', model: 'claude-sonnet-5-5', attempts: 2, costUsd: 0.2, tokens: 9000,
          segments: [{ s: 'running', a: 2000, b: 60_000 }] },
      ] },
    { id: 'b', label: 'B · Secrets', total: 300, byStatus: { completed: 200, running: 8, pending: 92 }, aggregated: true, expanded: false, first: 0, page: 0, pages: 6, rows: [],
      density: {
        queued: [280, 200, 100, 0], running: [8, 8, 6, 2], verifying: [0, 0, 1, 0], retrying: [0, 1, 0, 0],
        completed: [0, 80, 180, 200], failed: [0, 0, 0, 0], cancelled: [0, 0, 0, 0], skipped: [0, 0, 0, 0], peak: 9, queuedPeak: 292,
      } },
  ],
  byModel: [{ key: 'claude-sonnet-5-5', costUsd: 0.4, tokens: usage, agents: 2 }, { key: 'claude-haiku-5-5', costUsd: 0.02, tokens: usage, agents: 1 }],
  byRole: [{ key: 'worker', costUsd: 0.42, tokens: usage, agents: 3 }],
  context: { parent: 1900, flat: 140_000 }, estimate: null,
  gaps: [{ agentId: 'b7', reason: `no sentinel ${NASTY}` }],
  board: null, pipeline: null, actions: { showSummary: true, shipToBranch: false }, batches: [], batchesMore: 0,
  ...over,
});

const acts = () => ({ showAgent: vi.fn(), expand: vi.fn(), openFile: vi.fn(), showSummary: vi.fn(), showTab: vi.fn(), fixFindings: vi.fn(), shipToBranch: vi.fn() });

describe('the dashboard', () => {
  it('draws a bar per state on the time axis, a density strip for a big group, and routes clicks to the agent', () => {
    const act = acts();
    const host = mount(renderDashboard(view(), act));
    expectNoInjectedMarkup(host);
    const a1 = host.querySelector('[data-agent="a1"]')!;
    const bars = Array.from(a1.querySelectorAll('rect.seg'));
    // a1 has completed: its work bar is drawn in the completed colour, its wait in the queued one.
    expect(bars.map((r) => [r.getAttribute('class'), Number(r.getAttribute('x')).toFixed(1)])).toEqual([['seg seg-queued', '0.0'], ['seg seg-completed', '16.7']]);
    expect(a1.querySelector('.tl-label')?.getAttribute('title')).toContain(`Find handlers ${NASTY} in src/http`);
    expect(host.querySelector('[data-agent="a2"] rect.seg')?.getAttribute('class')).toBe('seg seg-running');
    (a1 as HTMLElement).click();
    expect(act.showAgent).toHaveBeenCalledWith('a1');
    const b = host.querySelector('[data-lane="b"]')!;
    expect(b.querySelectorAll('.tl-agent')).toHaveLength(0);
    expect(b.querySelectorAll('.tl-density-track path').length).toBeGreaterThanOrEqual(3);
    expect(b.querySelector('.tl-density .tl-label')?.textContent).toBe('300 agents · at most 9 at work, 292 queued');
    (b.querySelector('.tl-toggle') as HTMLElement).click();
    expect(act.expand).toHaveBeenCalledWith('b', true, 0);
    expect(host.querySelector('#context-bars')?.textContent).toContain('140.0k tokens');
    expect(host.querySelector('.context-ratio')?.textContent).toBe('73.7× less than a flat fan-out.');
    expect(host.querySelector('#tile-cost .tile-label')?.textContent).toBe('Would cost');
    (host.querySelector('#gaps .agent-link') as HTMLElement).click();
    expect(act.showAgent).toHaveBeenLastCalledWith('b7');
  });

  it('draws each settled agent in its outcome\'s colour and names every colour drawn in the legend', () => {
    const lane = view().lanes[0];
    const row = (id: string, status: string, segments: DashboardView['lanes'][number]['rows'][number]['segments']) => ({ ...lane.rows[0], id, status, label: id, task: id, segments });
    const rows = [
      row('a1', 'completed', [{ s: 'running', a: 0, b: 10_000 }]),
      row('a2', 'failed', [{ s: 'running', a: 0, b: 5000 }, { s: 'retrying', a: 5000, b: 6000 }, { s: 'running', a: 6000, b: 9000 }]),
      row('a3', 'cancelled', [{ s: 'running', a: 0, b: 4000 }, { s: 'verifying', a: 4000, b: 4500 }]),
      row('a4', 'cancelled', [{ s: 'queued', a: 0, b: 3000 }]),
      row('a5', 'running', [{ s: 'running', a: 1000, b: 60_000 }]),
    ];
    const host = mount(renderDashboard(view({ lanes: [{ ...lane, rows }] }), acts()));
    const classes = (id: string) => Array.from(host.querySelectorAll(`[data-agent="${id}"] rect.seg`)).map((r) => r.getAttribute('class'));
    expect(classes('a1')).toEqual(['seg seg-completed']);
    expect(classes('a2')).toEqual(['seg seg-failed', 'seg seg-retrying', 'seg seg-failed']);
    expect(classes('a3')).toEqual(['seg seg-cancelled', 'seg seg-cancelled']);
    // Cancelled while it waited: the wait, and a mark at its end in the cancelled colour.
    expect(classes('a4')).toEqual(['seg seg-queued', 'seg seg-cancelled']);
    expect(classes('a5')).toEqual(['seg seg-running']);
    const legend = Array.from(host.querySelectorAll('#timeline-legend .tl-legend-item')).map((e) => e.textContent);
    expect(legend).toEqual(['queued', 'running', 'retrying', 'completed', 'failed', 'cancelled']);
  });

  it('offers Ship to Branch on a finished build\'s dashboard, posting through its action', () => {
    expect(mount(renderDashboard(view(), acts())).querySelector('#ship-to-branch')).toBeNull();
    const shipToBranch = vi.fn();
    const host = mount(renderDashboard(view({ actions: { showSummary: true, shipToBranch: true } }), { ...acts(), shipToBranch }));
    (host.querySelector('#run-actions #ship-to-branch') as HTMLElement).click();
    expect(shipToBranch).toHaveBeenCalledOnce();
  });

  it('offers Fix Findings on a finished audit\'s dashboard, posting through its action', () => {
    expect(mount(renderDashboard(view(), acts())).querySelector('#fix-findings')).toBeNull();
    const fixFindings = vi.fn();
    const host = mount(renderDashboard(view({ fixFindings: true }), { ...acts(), fixFindings }));
    (host.querySelector('#fix-findings') as HTMLElement).click();
    expect(fixFindings).toHaveBeenCalledOnce();
  });

  it('draws a big group\'s strip as its status mix: a queue of 280 in the queued colour, not as work', () => {
    const host = mount(renderDashboard(view(), acts()));
    const paths = Array.from(host.querySelectorAll('[data-lane="b"] .tl-density-track path'));
    const heightOf = (cls: string, k: number) => {
      const d = paths.find((p) => p.getAttribute('class') === `seg seg-${cls}`)!.getAttribute('d')!;
      const column = d.split('M').filter(Boolean).find((c) => c.startsWith(`${k} `))!;
      const [, y0, y1] = /^\d+ ([\d.]+)H\d+V([\d.]+)/.exec(column)!;
      return Number(y0) - Number(y1);
    };
    // Slice 0: 280 of 300 queued, 8 at work: the queue is most of the strip's height; the work a sliver that still shows.
    expect(heightOf('queued', 0)).toBeGreaterThan(17);
    expect(heightOf('running', 0)).toBeGreaterThanOrEqual(1);
    expect(heightOf('running', 0)).toBeLessThan(2);
    expect(heightOf('completed', 3)).toBeCloseTo((200 / 300) * 20, 1);
  });

  it('marks a run an agent started over MCP, with the client\'s name as text', () => {
    expect(mount(renderDashboard(view(), acts())).querySelector('.started-by')).toBeNull();
    const host = mount(renderDashboard(view({ startedBy: `mcp:claude-code ${NASTY}` }), acts()));
    expect(host.querySelector('.started-by')?.textContent).toMatch(/^via claude-code .*\(MCP\)$/);
    expectNoInjectedMarkup(host);
  });

  it('pages an unfolded group', () => {
    const act = acts();
    const lanes = view().lanes;
    const b = { ...lanes[1], expanded: true, page: 1, first: 50, rows: [lanes[0].rows[0]] };
    const host = mount(renderDashboard(view({ lanes: [b] }), act));
    expect(host.querySelector('.tl-pager')?.textContent).toContain('Agents 51–51 of 300');
    const [prev, next] = Array.from(host.querySelectorAll<HTMLButtonElement>('.tl-pager button'));
    prev.click();
    next.click();
    expect(act.expand.mock.calls).toEqual([['b', true, 0], ['b', true, 2]]);
  });

  it('shows a build run as a board: seven columns, a card per builder in its column, a blocked card saying why, a click opening the agent', () => {
    const act = acts();
    const columns = BOARD_COLUMNS.map((id) => ({ id, label: id[0].toUpperCase() + id.slice(1), note: null as string | null, alert: false }));
    columns[6] = { ...columns[6], note: 'Ship refused', alert: true };
    const card = (id: string, column: BoardCard['column'], state: BoardCard['state'], blocked: BoardCard['blocked'] = null): BoardCard => ({
      id, label: `Validate ${id} ${NASTY}`, task: `Validate the input of ${id} ${NASTY}`, files: [`src/${id}.ts`], moreFiles: 2, column, state, note: `${state} ${NASTY}`, blocked,
      findings: { critical: blocked?.kind === 'critical' ? 1 : 0, major: 0, minor: 0 },
    });
    const board = { columns, cards: [
      card('b1', 'code', 'active'),
      card('b2', 'harden', 'blocked', { kind: 'critical', reason: `Critical finding h-security-1 in src/b2.ts:4: ${NASTY}` }),
      card('b3', 'review', 'blocked', { kind: 'rejected', reason: 'Rejected by review: changes requested by r-b3' }),
    ] };
    const host = mount(renderDashboard(view({ pattern: 'build', board }), act, { tab: 'board', moved: new Set(['b1']) }));
    expectNoInjectedMarkup(host);
    expect(Array.from(host.querySelectorAll('#board .board-col')).map((c) => (c as HTMLElement).dataset.column)).toEqual([...BOARD_COLUMNS]);
    expect(host.querySelector('[data-column="code"] [data-card="b1"]')?.classList.contains('moved')).toBe(true);
    expect(host.querySelector('[data-column="review"] .board-count')?.textContent).toBe('1');
    expect(host.querySelector('[data-column="plan"] .board-count')).toBeNull();
    const b2 = host.querySelector<HTMLElement>('[data-column="harden"] [data-card="b2"]')!;
    expect(b2.dataset.state).toBe('blocked');
    expect(b2.querySelector('.board-card-blocked')?.textContent).toBe(`Critical finding h-security-1 in src/b2.ts:4: ${NASTY}`);
    expect((b2.querySelector('.board-card-blocked') as HTMLElement).dataset.kind).toBe('critical');
    expect(b2.querySelector('.board-chip.severity-critical')?.textContent).toBe('1 critical');
    expect(b2.querySelector('.board-card-files')?.textContent).toBe('src/b2.ts +2');
    expect(host.querySelector('[data-column="ship"] .board-col-note.alert')?.textContent).toBe('Ship refused');
    b2.click();
    b2.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter' }));
    expect(act.showAgent.mock.calls).toEqual([['b2'], ['b2']]);
    // The board is the build's first view; the timeline is one tab away.
    expect(host.querySelector('#tab-board')?.getAttribute('aria-selected')).toBe('true');
    expect(host.querySelector('#timeline')).toBeNull();
    (host.querySelector('#tab-timeline') as HTMLElement).click();
    expect(act.showTab).toHaveBeenCalledWith('timeline');
    const timeline = mount(renderDashboard(view({ pattern: 'build', board }), act, { tab: 'timeline', moved: new Set() }));
    expect(timeline.querySelector('#board')).toBeNull();
    expect(timeline.querySelector('#timeline .tl-agent')).not.toBeNull();
    expect(timeline.querySelector('#tab-timeline')?.getAttribute('aria-selected')).toBe('true');
  });

  it('keeps the timeline alone, without tabs, for a run without builders; the run-level buttons route to the host', () => {
    const act = acts();
    const host = mount(renderDashboard(view(), act));
    expect(host.querySelector('.view-tabs')).toBeNull();
    expect(host.querySelector('#timeline-section #timeline')).not.toBeNull();
    expect(host.querySelector('#build-pipeline')).toBeNull();
    (host.querySelector('#run-actions #show-summary') as HTMLElement).click();
    expect(act.showSummary).toHaveBeenCalledTimes(1);
    expect(mount(renderDashboard(view({ actions: { showSummary: false, shipToBranch: false } }), act)).querySelector('#run-actions')).toBeNull();
  });

  it('shows the build pipeline under the board: the check with its log, the tally with criticals as what blocks Ship, Ship', () => {
    const act = acts();
    const pipeline: PipelineView = {
      integration: { state: 'failed', command: 'npm test', rounds: 3, timedOut: false, log: 'checks/integration-2.log', agentId: 'integration' },
      harden: { state: 'done', critical: 1, major: 0, minor: 1, more: 0, findings: [
        { id: 'h-security-1', severity: 'critical', concern: 'security', file: 'src/b2.ts', line: 4, text: `Token logged ${NASTY}`, owner: 'b2', status: 'open' },
        { id: 'h-style-1', severity: 'minor', concern: 'style', file: null, line: null, text: 'Unused import', owner: null, status: 'open' },
      ] },
      ship: { state: 'refused', blockers: ['1 critical finding (in b2\'s files)', 'the integration check failed on the assembled change'], branch: null, commit: null, pushedTo: null, headMoved: false },
    };
    const host = mount(renderDashboard(view({ pattern: 'build', pipeline }), act));
    expectNoInjectedMarkup(host);
    expect(host.querySelector('#integration-status')?.textContent).toContain('Failed on the assembled change (`npm test`) after 3 rounds');
    (host.querySelector('#integration-log') as HTMLElement).click();
    expect(act.openFile).toHaveBeenCalledWith('checks/integration-2.log');
    expect(host.querySelector('#harden-status')?.classList.contains('stage-blocking')).toBe(true);
    expect(host.querySelector('.critical-findings [data-finding="h-security-1"]')?.textContent).toContain(`src/b2.ts:4 — Token logged ${NASTY}`);
    expect(host.querySelector('.blocking-title')?.textContent).toBe('Blocking Ship (1 critical finding):');
    expect(host.querySelector('.listed-findings [data-finding="h-style-1"]')).not.toBeNull();
    expect(host.querySelector('#ship-status')?.textContent).toBe('Ship is refused: 1 critical finding (in b2\'s files); the integration check failed on the assembled change.');
  });

  it('puts round ticks on the axis', () => {
    expect(ticks(60_000)).toEqual([0, 10_000, 20_000, 30_000, 40_000, 50_000, 60_000]);
    expect(ticks(7_200_000).length).toBeLessThanOrEqual(9);
  });
});

describe('the agent view', () => {
  it('streams text into one block, replaces it with the whole response, and fills a tool call with its result', () => {
    const c = new Conversation({ openFile: vi.fn() });
    const host = mount(c.root);
    const d = (text: string): EntryView => ({ t, attempt: 1, type: 'text_delta', text });
    c.reset([{ t, attempt: 1, type: 'attempt', model: 'm', prompt: 'p', promptBytes: 1, instruction: 'be brief' }], true);
    c.append([d('Hel'), d('lo '), d(NASTY)]);
    expect(host.querySelectorAll('.entry-text')).toHaveLength(1);
    expect(host.querySelector('.streaming-text')?.textContent).toBe(`Hello ${NASTY}`);
    c.append([{ t, attempt: 1, type: 'text', text: `Hello **world** ${NASTY}` }]);
    expect(host.querySelectorAll('.entry-text')).toHaveLength(1);
    expect(host.querySelector('.entry-text strong')?.textContent).toBe('world');
    c.append([{ t, attempt: 1, type: 'tool_call', id: 'tu1', name: 'read_file', input: '{"path":"a"}' }]);
    expect(host.querySelector('.tool-pending')).not.toBeNull();
    c.append([{ t, attempt: 1, type: 'tool_result', id: 'tu1', ok: false, excerpt: NASTY, bytes: 10 }]);
    expect(host.querySelector('.tool-pending')).toBeNull();
    expect(host.querySelector('[data-call="tu1"] .tool-output')?.textContent).toBe(NASTY);
    c.append([{ t, attempt: 1, type: 'usage', usage, costUsd: 0.002, stopReason: 'end_turn', model: 'm' }]);
    expect(host.querySelector('.entry-usage')?.textContent).toContain('would cost $0.0020');
    expectNoInjectedMarkup(host);
  });

  it('shows the header with only the commands that apply', () => {
    const header: AgentHeader = {
      runId: 'r', runTask: 'Audit', runStatus: 'running', id: 'a2', role: 'worker', group: 'A · HTTP', task: NASTY, scope: ['src'],
      tier: 'sonnet', modelRequested: 'claude-sonnet-5-5', modelReported: null, status: 'running', attempts: 1, requests: 2, toolCalls: 3,
      usage, costUsd: 0.01, simulated: false, startedAt: t, endedAt: null, outputFile: 'workers/a2.md', returned: null, error: null,
      actions: { stop: true, rerun: false, ask: false, openOutput: false }, live: true,
    };
    const act = { stop: vi.fn(), rerun: vi.fn(), ask: vi.fn(), openOutput: vi.fn() };
    const host = mount(renderHeader(header, act, Date.parse(t) + 65_000));
    expectNoInjectedMarkup(host);
    expect(Array.from(host.querySelectorAll('vscode-button')).map((b) => b.id)).toEqual(['stop']);
    expect(host.querySelector('#agent-time')?.textContent).toBe('1m 5s');
    (host.querySelector('#stop') as HTMLElement).click();
    expect(act.stop).toHaveBeenCalled();
    expect(host.textContent).toContain('Cost$0.01');
    // A simulated agent's cost is labelled "Would cost", and the value does not say it again.
    const simulated = mount(renderHeader({ ...header, simulated: true }, act, Date.parse(t) + 65_000));
    expect(simulated.textContent).toContain('Would cost$0.01');
    expect(simulated.textContent).not.toMatch(/would cost \$/);
  });
});

describe('the dashboard\'s batches', () => {
  const counts = { processing: 279, succeeded: 20, errored: 1, canceled: 0, expired: 0 };
  const batch = { id: 'msgbatch_01HkcTjaV5uDC8jWR4ZsDV8d', short: 'msgbatch_…DV8d', status: 'in_progress' as const, submittedAt: t, requests: 300, answered: 21, counts, notes: [] };

  it('lists each batch with its id, status, answered/total, a bar of its counts and its notes, and counts the open ones in a tile', () => {
    const old = { ...batch, id: 'msgbatch_old', short: 'msgbatch_old', status: 'collected' as const, requests: 2, answered: 2,
      counts: { processing: 0, succeeded: 1, errored: 0, canceled: 0, expired: 1 }, notes: [`results read 1: cut mid-line ${NASTY}`] };
    const host = mount(renderDashboard(view({ batches: [old, batch] }), acts()));
    const section = host.querySelector('#batches-section')!;
    expect(section.querySelector('h3')?.textContent).toBe('Batches (2)');
    const rows = Array.from(section.querySelectorAll<HTMLElement>('li.batch'));
    expect(rows.map((r) => r.dataset.batchId)).toEqual(['msgbatch_old', 'msgbatch_01HkcTjaV5uDC8jWR4ZsDV8d']);
    const open = rows[1];
    expect(open.querySelector('.batch-id')?.textContent).toBe('msgbatch_…DV8d');
    expect((open.querySelector('.batch-id') as HTMLElement).title).toContain('msgbatch_01HkcTjaV5uDC8jWR4ZsDV8d');
    expect(open.querySelector('.batch-status')?.textContent).toBe('processing');
    expect(open.querySelector('.batch-answered')?.textContent).toBe('21/300');
    expect(open.querySelector('.batch-counts')?.textContent).toBe('279 processing, 20 succeeded, 1 errored');
    expect(Array.from(open.querySelectorAll('.batch-seg')).map((e) => e.className)).toEqual(['batch-seg seg-succeeded', 'batch-seg seg-errored', 'batch-seg seg-processing']);
    expect(rows[0].querySelector('.batch-notes li')?.textContent).toContain('cut mid-line');
    expect(host.querySelector('#tile-batch .tile-value')?.textContent).toBe('21/300');
    expectNoInjectedMarkup(host);
  });

  it('shows no Batches section or tile for a run without batches, and no tile once every batch is collected', () => {
    const none = mount(renderDashboard(view(), acts()));
    expect(none.querySelector('#batches-section')).toBeNull();
    expect(none.querySelector('#tile-batch')).toBeNull();
    const done = mount(renderDashboard(view({ batches: [{ ...batch, status: 'collected' }] }), acts()));
    expect(done.querySelector('#batches-section')).not.toBeNull();
    expect(done.querySelector('#tile-batch')).toBeNull();
  });
});

describe('the plan editor', () => {
  const plan = (over: Partial<PlanEditorView> = {}): PlanEditorView => ({
    runId: 'r', task: 'Audit', pattern: 'fan-out', status: 'awaiting-approval', simulated: false, editable: true, locked: null, summary: `Two domains ${NASTY}`, notes: [],
    groups: [{ id: 'a', name: 'A · HTTP', brief: 'Routes', canAdd: true, addLabel: null, addNoun: 'worker', items: [
      { id: 'a1', label: null, task: `Find handlers ${NASTY}`, scope: ['src'], tier: 'haiku', model: 'h', canRemove: true, canEditTask: true, changed: false, errors: [], batch: false, agentDefinition: null, agentNotes: [] },
      { id: 'a2', label: null, task: 'tiny', scope: [], tier: 'opus', model: 'o', canRemove: true, canEditTask: true, changed: true, errors: ['Worker "a2" task is too short'], batch: false, agentDefinition: null, agentNotes: [] },
    ], errors: [] }],
    documents: [],
    derived: [{ id: 'coord-a', role: 'coordinator', tier: 'sonnet', model: 's', task: 'Synthesise A', byEngine: false, batch: false }], derivedMore: {}, agents: 4, batched: 0,
    estimate: null, planned: { tokensLow: 1000, tokensHigh: 2000, costLowUsd: 0.1, costHighUsd: 0.2 }, errors: [], checking: false, changed: true, canApprove: false,
    models: { haiku: 'h', sonnet: 's', opus: 'o' }, note: null, ...over,
  });

  it('lists a document approved with the plan, its outline as text, and opens it by id from its Edit button', () => {
    const act = { edit: vi.fn(), approve: vi.fn(), decline: vi.fn(), reset: vi.fn(), openDocument: vi.fn() };
    const doc = { id: 'architecture', title: 'Architecture', path: '/ws/.orchestration/r/architecture.md', note: `The design ${NASTY}`, outline: ['Architecture: billing', `  Modules ${NASTY}`], editLabel: 'Edit architecture.md' };
    const host = mount(renderPlanEditor(plan({ documents: [doc] }), act));
    const card = host.querySelector<HTMLElement>('#documents [data-document="architecture"]')!;
    expect(card.textContent).toContain(`The design ${NASTY}`);
    expect([...card.querySelectorAll('.document-outline li')].map((li) => li.textContent)).toEqual(['Architecture: billing', `Modules ${NASTY}`]);
    expect(card.querySelector('img, script')).toBeNull();
    const edit = host.querySelector<HTMLElement>('#edit-document-architecture')!;
    expect(edit.textContent).toBe('Edit architecture.md');
    edit.click();
    expect(act.openDocument).toHaveBeenCalledWith('architecture');
    // A plan past approval still opens the file, to read it, under a label that does not promise an edit that counts.
    const locked = mount(renderPlanEditor(plan({ documents: [doc], editable: false, locked: 'running' }), act));
    expect(locked.querySelector('#edit-document-architecture')!.textContent).toBe('Open architecture.md');
  });

  it('shows the plan\'s trust notes above Approve, as text', () => {
    const host = mount(renderPlanEditor(plan({ notes: [`Will run \`npm test\` ${NASTY}`, 'Ignored "baseUrl" from .vscode/settings.json'] }), { edit: vi.fn(), approve: vi.fn(), decline: vi.fn(), reset: vi.fn(), openDocument: vi.fn() }));
    expectNoInjectedMarkup(host);
    const notes = Array.from(host.querySelectorAll('#trust-notes .trust-note')).map((n) => n.textContent);
    expect(notes).toEqual([`Will run \`npm test\` ${NASTY}`, 'Ignored "baseUrl" from .vscode/settings.json']);
    expect(mount(renderPlanEditor(plan(), { edit: vi.fn(), approve: vi.fn(), decline: vi.fn(), reset: vi.fn(), openDocument: vi.fn() })).querySelector('#trust-notes')).toBeNull();
  });

  it('edits tiers, tasks and workers through typed edits, with errors next to their row', () => {
    const act = { edit: vi.fn(), approve: vi.fn(), decline: vi.fn(), reset: vi.fn(), openDocument: vi.fn() };
    const host = mount(renderPlanEditor(plan(), act));
    expectNoInjectedMarkup(host);
    const tier = host.querySelector<HTMLSelectElement>('[data-key="tier:a1"]')!;
    tier.value = 'sonnet';
    tier.dispatchEvent(new Event('change'));
    const task = host.querySelector<HTMLTextAreaElement>('[data-key="task:a2"]')!;
    task.value = 'Review the auth middleware';
    task.dispatchEvent(new Event('blur'));
    (host.querySelector('[data-key="remove:a1"]') as HTMLElement).click();
    expect(act.edit.mock.calls).toEqual([
      [{ kind: 'tier', agentId: 'a1', tier: 'sonnet' }],
      [{ kind: 'task', agentId: 'a2', task: 'Review the auth middleware' }],
      [{ kind: 'remove', agentId: 'a1' }],
    ]);
    expect(host.querySelector('tr.item-errors')?.textContent).toBe('Worker "a2" task is too short');
    expect(host.querySelector('#approve')?.hasAttribute('disabled')).toBe(true);
    expect(host.querySelector('#approve')?.textContent).toBe('Save and Approve');
  });

  it('adds a worker from the add form, keeping what was typed across re-renders until it is added', () => {
    const act = { edit: vi.fn(), approve: vi.fn(), decline: vi.fn(), reset: vi.fn(), openDocument: vi.fn() };
    let host = mount(renderPlanEditor(plan(), act));
    const type = (key: string, value: string) => {
      const el = host.querySelector<HTMLInputElement | HTMLTextAreaElement>(`[data-key="${key}"]`)!;
      el.value = value;
      el.dispatchEvent(new Event('input'));
    };
    type('add:a:task', 'Check the CORS settings');
    host = mount(renderPlanEditor(plan(), act));
    expect(host.querySelector<HTMLTextAreaElement>('[data-key="add:a:task"]')?.value).toBe('Check the CORS settings');
    type('add:a:scope', 'src/server, src/app.ts');
    (host.querySelector('#add-a') as HTMLElement).click();
    expect(act.edit).toHaveBeenCalledWith({ kind: 'add', group: 'a', task: 'Check the CORS settings', scope: ['src/server', 'src/app.ts'], tier: 'sonnet' });
    host = mount(renderPlanEditor(plan(), act));
    expect(host.querySelector<HTMLTextAreaElement>('[data-key="add:a:task"]')?.value).toBe('');
  });

  it('shows a locked plan read-only: tiers as text with their model, no pickers, no remove column', () => {
    const host = mount(renderPlanEditor(plan({ status: 'completed', editable: false, locked: 'The run is completed; only a plan awaiting approval can be edited.' }),
      { edit: vi.fn(), approve: vi.fn(), decline: vi.fn(), reset: vi.fn(), openDocument: vi.fn() }));
    expect(host.querySelectorAll('textarea, select, button, #approve, .remove, .add-form')).toHaveLength(0);
    expect(host.querySelector('.locked')?.textContent).toMatch(/^The run is completed/);
    expect(Array.from(host.querySelectorAll('table.plan-items th')).map((th) => th.textContent)).toEqual(['Agent', 'Tier', 'Task']);
    expect(host.querySelector('tr[data-agent="a1"] .col-tier')?.textContent).toBe('haikuh');
    expect(host.querySelector('tr[data-agent="a1"] .item-scope')?.textContent).toBe('Scope: src');
  });

  it('shows an error about a whole domain beside that domain, and at the top', () => {
    const e = 'Domain "a" (HTTP) has 2 workers; between 3 and 8 are allowed';
    const v = plan({ errors: [e] });
    v.groups[0].errors = [e];
    const host = mount(renderPlanEditor(v, { edit: vi.fn(), approve: vi.fn(), decline: vi.fn(), reset: vi.fn(), openDocument: vi.fn() }));
    expect(host.querySelector('#plan-errors')?.textContent).toBe(e);
    expect(host.querySelector('[data-group="a"] .group-errors')?.textContent).toBe(e);
  });

  it('marks an agent the planner put on the user\'s agent definition, with what the definition does not get on hover', () => {
    const base = plan();
    const v = plan({ groups: [{ ...base.groups[0], items: [{ ...base.groups[0].items[0], agentDefinition: 'api-reviewer', agentNotes: ['Bash not given: no tool runs a shell here'] }, base.groups[0].items[1]] }] });
    const host = mount(renderPlanEditor(v, { edit: vi.fn(), approve: vi.fn(), decline: vi.fn(), reset: vi.fn(), openDocument: vi.fn() }));
    const mark = host.querySelector<HTMLElement>('[data-agent="a1"] .definition-mark');
    expect(mark?.textContent).toBe('@api-reviewer');
    expect(mark?.title).toBe('Runs as your agent definition api-reviewer\nBash not given: no tool runs a shell here');
    expect(host.querySelector('[data-agent="a2"] .definition-mark')).toBeNull();
  });

  it('marks agents that go to a batch and says the estimate prices them at the batch rate', () => {
    const base = plan();
    const v = plan({
      batched: 2,
      groups: [{ ...base.groups[0], items: [{ ...base.groups[0].items[0], batch: true }, base.groups[0].items[1]] }],
      derived: [{ ...base.derived[0], batch: true }],
    });
    const host = mount(renderPlanEditor(v, { edit: vi.fn(), approve: vi.fn(), decline: vi.fn(), reset: vi.fn(), openDocument: vi.fn() }));
    expect(host.querySelector('[data-agent="a1"] .batch-mark')?.textContent).toBe('batch');
    expect(host.querySelector('[data-agent="a2"] .batch-mark')).toBeNull();
    expect(host.querySelector('.derived .batch-mark')).not.toBeNull();
    expect(host.querySelector('#plan-batch-note')?.textContent).toBe('2 of them go through a Message Batch, priced at half the realtime price; answered within 24 h');
    expect(mount(renderPlanEditor(plan(), { edit: vi.fn(), approve: vi.fn(), decline: vi.fn(), reset: vi.fn(), openDocument: vi.fn() })).querySelector('#plan-batch-note')).toBeNull();
  });
});
