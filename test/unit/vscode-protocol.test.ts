import { describe, expect, it, vi } from 'vitest';
import { dispatch, HostMessageSchema, WebviewMessageSchema, type HandlerMap, type WebviewMessage } from '../../src/shared/protocol';
import { buildRunView, linkableFiles, runActions } from '../../src/vscode/panels/summary/summaryModel';
import { byEngine } from '../../src/vscode/runs/runShape';
import { buildLedger, doneThrough, finding, integrationFile, shipFile, tallyFile } from './vscode/buildFixtures';
import { plan, snapshot } from './vscode/fixtures';

const RUN = '20250601-115500-ab12';

function handlers(): HandlerMap<WebviewMessage> & Record<string, ReturnType<typeof vi.fn>> {
  return { ready: vi.fn(), approve: vi.fn(), decline: vi.fn(), cancel: vi.fn(), resume: vi.fn(), retryFailed: vi.fn(), openFile: vi.fn(),
    reviewPlan: vi.fn(), openDiff: vi.fn(), applyChanges: vi.fn(), discardChanges: vi.fn(), fixFindings: vi.fn(), shipToBranch: vi.fn(), approveStage: vi.fn() };
}

describe('webview → host messages', () => {
  it.each([
    { type: 'ready' },
    { type: 'approve', runId: RUN },
    { type: 'decline', runId: RUN },
    { type: 'cancel', runId: RUN },
    { type: 'resume', runId: RUN },
    { type: 'retryFailed', runId: RUN },
    { type: 'openFile', runId: RUN, path: 'workers/a1.md' },
    { type: 'reviewPlan', runId: RUN },
    { type: 'openDiff', runId: RUN, path: 'src/a.ts' },
    { type: 'applyChanges', runId: RUN },
    { type: 'fixFindings', runId: RUN },
    { type: 'discardChanges', runId: RUN },
    { type: 'shipToBranch', runId: RUN },
    { type: 'approveStage', runId: RUN, stage: 'review' },
  ])('accepts $type and calls only its handler', async (msg) => {
    const h = handlers();
    expect(await dispatch(WebviewMessageSchema, h, msg)).toEqual({ ok: true });
    for (const [type, fn] of Object.entries(h)) expect(fn).toHaveBeenCalledTimes(type === msg.type ? 1 : 0);
    expect(h[msg.type]).toHaveBeenCalledWith(msg);
  });

  it.each([
    ['an unknown type', { type: 'runShell', command: 'rm -rf /' }, 'type'],
    ['a missing run id', { type: 'approve' }, 'runId'],
    ['a run id with a path in it', { type: 'cancel', runId: '../../etc' }, 'runId'],
    ['an extra key', { type: 'ready', html: '<script>' }, 'message'],
    ['an empty path', { type: 'openFile', runId: RUN, path: '' }, 'path'],
    ['an Approve Stage without its stage', { type: 'approveStage', runId: RUN }, 'stage'],
    ['a non-object', 'approve', 'message'],
    ['null', null, 'message'],
  ])('rejects %s without calling any handler', async (_name, msg, field) => {
    const h = handlers();
    const r = await dispatch(WebviewMessageSchema, h, msg);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/^Rejected message: /);
    if (!r.ok && field !== 'message') expect(r.error).toContain(field);
    for (const fn of Object.values(h)) expect(fn).not.toHaveBeenCalled();
  });
});

describe('host → webview messages', () => {
  it('validates the state built from a ledger snapshot', () => {
    const s = snapshot();
    const run = buildRunView(s, plan, null, runActions(s, true));
    const parsed = HostMessageSchema.parse({ type: 'state', run });
    expect(parsed.run?.groups.map((d) => [d.id, d.name, d.done, d.total])).toEqual([['a', 'A · HTTP surface', 1, 3], ['b', 'B · Secrets', 1, 2]]);
    expect(parsed.run?.pattern).toBe('fan-out');
    expect(parsed.run?.card).toBeNull();
    expect(parsed.run?.groups[1]?.coordinator?.returned).toContain('**Fix**');
    expect(parsed.run?.totals.parentContextTokens).toBe(1900);
    expect(parsed.run?.actions).toEqual({ approve: false, decline: false, cancel: true, resume: false, retry: false, reviewDraft: false, fixFindings: false, approveStage: false });
  });

  it('carries who started a run, and drops a startedBy a tampered ledger made too long or not a string instead of failing the state', () => {
    const state = (startedBy: unknown) => HostMessageSchema.parse({ type: 'state', run: buildRunView(snapshot({ startedBy } as never), plan, null, runActions(snapshot(), true)) }).run!;
    expect(state('mcp:claude-code').startedBy).toBe('mcp:claude-code');
    expect(state(undefined).startedBy).toBeNull();
    expect(state('x'.repeat(201)).startedBy).toBeNull();
    expect(state(42).startedBy).toBeNull();
  });

  it('marks only the files that exist as written, so the view never links to a missing one', () => {
    const s = snapshot({ gaps: [{ agentId: 'b1', outputFile: 'workers/b1.md', reason: 'failed' }] });
    const run = HostMessageSchema.parse({ type: 'state', run: buildRunView(s, plan, null, runActions(s, true), new Set(['workers/a1.md', 'synthesis/b.md'])) }).run!;
    const written = [...run.groups.flatMap((d) => [...d.agents, ...(d.coordinator ? [d.coordinator] : [])]), run.final!]
      .filter((a) => a.written).map((a) => a.id);
    expect(written).toEqual(['a1', 'coord-b']);
    expect(run.gaps).toEqual([{ agentId: 'b1', outputFile: 'workers/b1.md', written: false, reason: 'failed' }]);
  });

  it('carries what the plan says about trust: the repository\'s command and the settings it ignored', () => {
    const s = snapshot({
      status: 'awaiting-approval', workspaceCommand: { command: 'npm test', source: '.orchestration/config.json' },
      ignoredSettings: [
        { key: 'baseUrl', source: '.vscode/settings.json (workspace settings)', kind: 'machine-only', reason: 'baseUrl is machine-only' },
        { key: 'maxConcurrent', source: '.orchestration/config.json', kind: 'bound', reason: 'maxConcurrent 64 is above its default 8' },
        { key: 'provider', source: '.vscode/settings.json (workspace settings)', kind: 'machine-only', reason: 'provider is machine-only' },
      ],
    });
    const run = HostMessageSchema.parse({ type: 'state', run: buildRunView(s, plan, null, runActions(s, false)) }).run!;
    expect(run.notes).toEqual([
      expect.stringMatching(/^Will run `npm test` in each builder's worktree, from \.orchestration\/config\.json: .*only once you approve this plan\.$/),
      'Ignored "baseUrl" and "provider" from .vscode/settings.json (workspace settings): they are machine-only settings a repository may not choose; '
        + 'set them in your user settings (VS Code: Settings → User, or Remote in a remote window) or with a CLI flag (--set KEY=VALUE).',
      'Ignored "maxConcurrent" from .orchestration/config.json: maxConcurrent 64 is above its default 8.',
    ]);
    expect(buildRunView(snapshot(), plan, null, runActions(snapshot(), false)).notes).toEqual([]);
  });

  it('shows a declined plan\'s agents as never run, not pending', () => {
    const s = snapshot({ status: 'declined' });
    const run = buildRunView(s, plan, null, runActions(s, false));
    expect(run.groups[0].coordinator!.status).toBe('skipped');
    expect(run.final!.status).toBe('skipped');
  });

  it('accepts the empty state and rejects a malformed one', () => {
    expect(HostMessageSchema.safeParse({ type: 'state', run: null }).success).toBe(true);
    expect(HostMessageSchema.safeParse({ type: 'state', run: { runId: RUN } }).success).toBe(false);
    expect(HostMessageSchema.safeParse({ type: 'html', html: '<b>' }).success).toBe(false);
  });
});

describe('summary actions', () => {
  it.each([
    ['awaiting-approval', false, { approve: true, decline: true, cancel: false, resume: false, retry: false, reviewDraft: false, fixFindings: false, approveStage: false }],
    ['running', true, { approve: false, decline: false, cancel: true, resume: false, retry: false, reviewDraft: false, fixFindings: false, approveStage: false }],
    ['running', false, { approve: false, decline: false, cancel: false, resume: false, retry: false, reviewDraft: false, fixFindings: false, approveStage: false }],
    ['interrupted', false, { approve: false, decline: false, cancel: false, resume: true, retry: true, reviewDraft: false, fixFindings: false, approveStage: false }],
    ['cancelled', false, { approve: false, decline: false, cancel: false, resume: true, retry: true, reviewDraft: false, fixFindings: false, approveStage: false }],
    ['partial', false, { approve: false, decline: false, cancel: false, resume: true, retry: true, reviewDraft: false, fixFindings: true, approveStage: false }],
    ['completed', false, { approve: false, decline: false, cancel: false, resume: false, retry: false, reviewDraft: false, fixFindings: true, approveStage: false }],
    // The user turned this plan down: resuming it would run exactly what they rejected.
    ['declined', false, { approve: false, decline: false, cancel: false, resume: false, retry: false, reviewDraft: false, fixFindings: false, approveStage: false }],
  ] as const)('a %s run (executing here: %s) offers %o', (status, here, expected) => {
    expect(runActions(snapshot({ status }), here)).toEqual(expected);
  });

  it('offers no Approve for the planned plan while the plan editor holds an edited draft: one draft, one Approve', () => {
    const s = snapshot({ status: 'awaiting-approval' });
    expect(runActions(s, false, true)).toMatchObject({ approve: false, reviewDraft: true, decline: true });
    expect(runActions(s, false, false)).toMatchObject({ approve: true, reviewDraft: false });
    expect(runActions(snapshot({ status: 'completed' }), false, true)).toMatchObject({ approve: false, reviewDraft: false });
  });
});

describe('steps the engine does itself', () => {
  it('are the roles a pattern declares with no tokens: a build\'s assembly, not a fan-out\'s final synthesis', () => {
    expect(byEngine('build', { role: 'final' })).toBe(true);
    expect(byEngine('build', { role: 'builder' })).toBe(false);
    expect(byEngine('fan-out', { role: 'final' })).toBe(false);
    expect(byEngine('no-such-pattern', { role: 'final' })).toBe(false);
  });
});

describe('the Summary\'s build pipeline', () => {
  const finished = buildLedger(doneThrough('assemble'), { status: 'completed' });
  const actions = runActions(finished, false);

  it('carries the integration result, the tally and Ship from the pipeline\'s files, valid as a state message', () => {
    const files = { integration: integrationFile('passed', 2), tally: tallyFile([finding({ severity: 'minor', concern: 'style' })]), ship: null };
    const log = 'checks/integration-1.log';
    expect(linkableFiles(finished, undefined, files)).toContain(log);
    const run = buildRunView(finished, undefined, null, actions, new Set([log]), undefined, null, files);
    expect(HostMessageSchema.safeParse({ type: 'state', run }).success).toBe(true);
    expect(run.pipeline).toEqual({
      integration: { state: 'passed', command: 'npm test', rounds: 2, timedOut: false, log, agentId: 'integration' },
      harden: { state: 'done', critical: 0, major: 0, minor: 1, more: 0, findings: [expect.objectContaining({ id: 'h-security-1', severity: 'minor' })] },
      ship: { state: 'ready', blockers: [], branch: null, commit: null, pushedTo: null, headMoved: false },
    });
  });

  it('lists criticals as blocking Ship, and says when hardening is off or the change shipped', () => {
    const critical = buildRunView(finished, undefined, null, actions, new Set(), undefined, null, { integration: integrationFile('passed'), tally: tallyFile([finding()]), ship: null });
    expect(critical.pipeline?.ship).toMatchObject({ state: 'refused', blockers: ['1 critical finding (in b2\'s files)'] });
    const off = buildRunView(finished, undefined, null, actions, new Set(), undefined, null, { integration: integrationFile('no-check'), tally: tallyFile([], false), ship: shipFile() });
    expect(off.pipeline).toMatchObject({ integration: { state: 'no-check' }, harden: { state: 'off' }, ship: { state: 'shipped', branch: 'orchestration/20250601-115500-ab12' } });
  });

  it('has no pipeline for a run without builders', () => {
    expect(buildRunView(snapshot(), plan, null, runActions(snapshot(), true)).pipeline).toBeNull();
  });
});
