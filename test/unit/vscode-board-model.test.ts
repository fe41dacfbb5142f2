/** The task board and the pipeline's outcome, from ledgers and pipeline files built by hand. */
import { describe, expect, it } from 'vitest';
import type { AgentRecord, AgentStatus, LedgerSnapshot } from '../../src/engine';
import { BOARD_COLUMNS, BoardSchema, type BoardCard } from '../../src/shared/dashboardProtocol';
import { PipelineViewSchema } from '../../src/shared/protocol';
import { buildBoard, type StatusHistory } from '../../src/vscode/panels/dashboard/boardModel';
import { NO_PIPELINE_FILES, pipelineView, shipBlockers, type PipelineFiles } from '../../src/vscode/panels/dashboard/boardPipeline';
import { buildLedger, doneThrough, finding, HARDENERS, integrationFile, shipFile, tallyFile } from './vscode/buildFixtures';
import { agent, snapshot } from './vscode/fixtures';

const running = { status: 'running', endedAt: null } as const;
const files = (over: Partial<PipelineFiles> = {}): PipelineFiles => ({ ...NO_PIPELINE_FILES, ...over });

function cardOf(s: LedgerSnapshot, id: string, f: PipelineFiles = NO_PIPELINE_FILES, history?: StatusHistory): BoardCard {
  const board = buildBoard(s, f, { history });
  expect(BoardSchema.safeParse(board).success).toBe(true);
  const card = board?.cards.find((c) => c.id === id);
  if (!card) throw new Error(`no card ${id}`);
  return card;
}

const at = (c: BoardCard) => [c.column, c.state, c.blocked?.kind ?? null];

describe('the board\'s columns', () => {
  it('has the seven columns in order and one card per builder, in plan order, with its files', () => {
    const board = buildBoard(buildLedger({}, {}, { builders: ['b1', 'b2', 'b3'] }), NO_PIPELINE_FILES);
    expect(board?.columns.map((c) => c.id)).toEqual([...BOARD_COLUMNS]);
    expect(board?.columns.map((c) => c.label)).toEqual(['Plan', 'Build', 'Check', 'Review', 'Integrate', 'Harden', 'Ship']);
    expect(board?.cards.map((c) => c.id)).toEqual(['b1', 'b2', 'b3']);
    expect(board?.cards[0]).toMatchObject({ files: ['src/b1/index.ts', 'src/b1/parse.ts'], moreFiles: 0, task: 'Validate the input of module b1' });
  });

  it('has no board for a run without builders', () => {
    expect(buildBoard(snapshot(), NO_PIPELINE_FILES)).toBeNull();
    expect(pipelineView(snapshot(), NO_PIPELINE_FILES)).toBeNull();
  });

  it('plan: a pending builder waits for approval, a queued one for a slot', () => {
    expect(cardOf(buildLedger({}, { status: 'awaiting-approval' }), 'b1')).toMatchObject({ column: 'plan', state: 'waiting', note: 'planned; awaiting your approval' });
    expect(cardOf(buildLedger({ b1: { status: 'queued' } }), 'b1')).toMatchObject({ column: 'plan', state: 'waiting', note: 'queued for a slot' });
    const greenfield = buildLedger({ b1: { dependsOn: ['scaffold'] } });
    greenfield.agents.unshift(agent({ id: 'scaffold', role: 'scaffolder', domain: null, status: 'running', endedAt: null, outputFile: 'scaffold.md' }));
    expect(cardOf(greenfield, 'b1')).toMatchObject({ column: 'plan', state: 'waiting', note: 'waiting for scaffold' });
    const board = buildBoard(buildLedger({}, { status: 'awaiting-approval' }), NO_PIPELINE_FILES);
    expect(board?.columns[0].note).toBe('awaiting approval');
  });

  it('build: a running builder is active, with its attempt; a retrying one says so', () => {
    expect(cardOf(buildLedger({ b1: running }), 'b1')).toMatchObject({ column: 'code', state: 'active', note: 'building' });
    expect(cardOf(buildLedger({ b1: { ...running, attempts: 2 } }), 'b1').note).toBe('building, attempt 2');
    expect(cardOf(buildLedger({ b1: { status: 'retrying', attempts: 2 } }), 'b1').note).toBe('retrying (attempt 2)');
  });

  it('build: a builder running again while its reviewer waits is revising after the review, back in Build', () => {
    const s = buildLedger({ b1: { ...running, attempts: 2 }, 'r-b1': running });
    expect(cardOf(s, 'b1')).toMatchObject({ column: 'code', state: 'active', note: 'revising after r-b1\'s review' });
  });

  it('check: a verifying builder runs its check', () => {
    expect(at(cardOf(buildLedger({ b1: { status: 'verifying' } }), 'b1'))).toEqual(['check', 'active', null]);
  });

  it('review: a built change awaits its reviewer, then is reviewed', () => {
    const built = doneThrough('builders');
    expect(cardOf(buildLedger(built), 'b1')).toMatchObject({ column: 'review', state: 'waiting', note: 'awaiting review' });
    expect(cardOf(buildLedger({ ...built, 'r-b1': running }), 'b1')).toMatchObject({ column: 'review', state: 'active', note: 'r-b1 reviewing' });
  });

  it('integrate: an approved change waits for the other reviews, then is checked and repaired on the assembled tree', () => {
    const reviewed = { ...doneThrough('builders'), 'r-b1': doneThrough('reviews')['r-b1'] };
    expect(cardOf(buildLedger(reviewed), 'b1')).toMatchObject({ column: 'integrate', state: 'waiting', note: 'approved; waiting for the other reviews' });
    const all = doneThrough('reviews');
    expect(cardOf(buildLedger({ ...all, integration: running }), 'b1')).toMatchObject({ column: 'integrate', state: 'active', note: 'checking the assembled change' });
    const fixing = { ...all, integration: doneThrough('integration').integration, fix: running };
    expect(cardOf(buildLedger(fixing), 'b2')).toMatchObject({ column: 'integrate', state: 'active', note: 'fix repairs what the check reported' });
  });

  it('harden: the auditors read the combined change; a builder fixing a major finding stays in Harden', () => {
    const checked = doneThrough('integration');
    expect(cardOf(buildLedger(checked), 'b1')).toMatchObject({ column: 'harden', state: 'waiting' });
    expect(cardOf(buildLedger({ ...checked, 'h-security': running }), 'b1')).toMatchObject({ column: 'harden', state: 'active', note: 'h-security auditing the combined change' });
    const hardened = doneThrough('harden');
    const fixRound = buildLedger({ ...hardened, assemble: running, b2: { ...running, attempts: 2 } });
    expect(cardOf(fixRound, 'b2')).toMatchObject({ column: 'harden', state: 'active', note: 'b2 fixes a finding in its files' });
    expect(cardOf(fixRound, 'b1')).toMatchObject({ column: 'harden', state: 'active', note: 'tallying the findings' });
  });

  it('ship: once assembled it is ready for Ship to Branch, and shipped once ship.json exists', () => {
    const s = buildLedger(doneThrough('assemble'), { status: 'completed' });
    const passed = files({ integration: integrationFile('passed'), tally: tallyFile([]) });
    expect(cardOf(s, 'b1', passed)).toMatchObject({ column: 'ship', state: 'waiting', note: 'ready: Ship to Branch commits it' });
    expect(cardOf(s, 'b1', { ...passed, ship: shipFile() })).toMatchObject({ column: 'ship', state: 'done', note: 'shipped on orchestration/20250601-115500-ab12' });
    expect(buildBoard(s, { ...passed, ship: shipFile() })?.columns.at(-1)).toMatchObject({ note: 'orchestration/20250601-115500-ab12', alert: false });
  });

  it('with hardening off, an approved change goes from Integrate to Ship', () => {
    const s = buildLedger({ ...doneThrough('integration'), assemble: running }, {}, { hardening: false });
    expect(cardOf(s, 'b1')).toMatchObject({ column: 'ship', state: 'active', note: 'assembling the change' });
    const board = buildBoard(buildLedger(doneThrough('integration'), {}, { hardening: false }), NO_PIPELINE_FILES);
    expect(board?.columns.find((c) => c.id === 'harden')?.note).toBe('hardening off');
  });

  it('stops a cancelled card where it was, and a declined plan\'s cards in Plan', () => {
    expect(at(cardOf(buildLedger({ b1: { status: 'cancelled' } }, { status: 'cancelled' }), 'b1'))).toEqual(['code', 'stopped', null]);
    expect(cardOf(buildLedger({}, { status: 'declined' }), 'b1')).toMatchObject({ column: 'plan', state: 'stopped', note: 'plan declined' });
    expect(at(cardOf(buildLedger({ b1: running }, { status: 'interrupted' }), 'b1'))).toEqual(['code', 'stopped', null]);
  });
});

describe('a blocked card says why', () => {
  it('the builder failed: its error', () => {
    const c = cardOf(buildLedger({ b1: { status: 'failed', error: 'the model wrote outside its files' } }), 'b1');
    expect(at(c)).toEqual(['code', 'blocked', 'builder-failed']);
    expect(c.blocked?.reason).toBe('Builder failed: the model wrote outside its files');
  });

  it('its check failed: stopped in Check, told by its last status or by the error', () => {
    const history: StatusHistory = { of: (id) => (id === 'b1' ? ['queued', 'running', 'verifying', 'failed'].map((status) => ({ status: status as AgentStatus })) : []) };
    const s = buildLedger({ b1: { status: 'failed', error: 'exit 1' } });
    expect(at(cardOf(s, 'b1', NO_PIPELINE_FILES, history))).toEqual(['check', 'blocked', 'check-failed']);
    expect(at(cardOf(s, 'b1'))).toEqual(['code', 'blocked', 'builder-failed']);
    const byText = buildLedger({ b1: { status: 'failed', error: 'the verification command `npm test` failed with exit code 1 (full output in checks/b1.log)' } });
    expect(cardOf(byText, 'b1').blocked?.reason).toContain('The check failed: the verification command `npm test`');
  });

  it('rejected by review: in Review, with the reviewer\'s reason', () => {
    const s = buildLedger({ ...doneThrough('reviews'), b2: { status: 'failed', error: 'changes requested by r-b2: the parser accepts negative counts' } });
    const c = cardOf(s, 'b2');
    expect(at(c)).toEqual(['review', 'blocked', 'rejected']);
    expect(c.note).toBe('rejected by r-b2');
    expect(c.blocked?.reason).toBe('Rejected by review: changes requested by r-b2: the parser accepts negative counts');
  });

  it('not approved: its reviewer failed, so Ship is refused', () => {
    const s = buildLedger({ ...doneThrough('builders'), 'r-b1': { status: 'failed', error: '529 overloaded' } });
    const c = cardOf(s, 'b1');
    expect(at(c)).toEqual(['review', 'blocked', 'not-approved']);
    expect(c.blocked?.reason).toBe('Not approved: r-b1 failed (529 overloaded), so Ship is refused while it stays unreviewed.');
  });

  it('a merge conflict: left out in Integrate', () => {
    const s = buildLedger({ ...doneThrough('integration'), b2: { status: 'failed', error: 'its branch conflicts with earlier builders\' changes in src/shared.ts; it is not in changes.patch' } });
    const c = cardOf(s, 'b2');
    expect(at(c)).toEqual(['integrate', 'blocked', 'conflict']);
    expect(c.blocked?.reason).toMatch(/^Merge conflict: its branch conflicts/);
  });

  it('the integration check failed: every merged card stops in Integrate, naming the log', () => {
    const s = buildLedger(doneThrough('integration'));
    const c = cardOf(s, 'b1', files({ integration: integrationFile('failed', 3) }));
    expect(at(c)).toEqual(['integrate', 'blocked', 'integration-failed']);
    expect(c.blocked?.reason).toBe('The integration check failed on the assembled change after 3 rounds; its log is checks/integration-2.log. It is not shippable.');
    expect(buildBoard(s, files({ integration: integrationFile('failed', 3) }))?.columns.find((x) => x.id === 'integrate')).toMatchObject({ note: 'check failed', alert: true });
    const stepFailed = buildLedger({ ...doneThrough('reviews'), integration: { status: 'failed', error: 'git worktree add failed' } });
    expect(cardOf(stepFailed, 'b1').blocked).toEqual({ kind: 'integration-failed', reason: 'The integration step failed: git worktree add failed' });
  });

  it('a critical finding in its files: stopped in Harden, found by owner or by the file it owns', () => {
    const s = buildLedger(doneThrough('assemble'), { status: 'completed' });
    const tally = tallyFile([
      finding(),
      finding({ id: 'h-correctness-1', owner: null, file: 'src/b1/parse.ts', line: null, text: 'Overflow on large input.' }),
      finding({ id: 'h-style-1', severity: 'minor', concern: 'style', owner: 'b1', file: 'src/b1/index.ts' }),
    ]);
    const f = files({ integration: integrationFile('passed'), tally });
    const b2 = cardOf(s, 'b2', f);
    expect(at(b2)).toEqual(['harden', 'blocked', 'critical']);
    expect(b2.blocked?.reason).toBe('Critical finding h-security-1 in src/b2/index.ts:12: The token is logged in plain text. Ship is refused while it stands.');
    const b1 = cardOf(s, 'b1', f);
    expect(b1.blocked?.reason).toBe('Critical finding h-correctness-1 in src/b1/parse.ts: Overflow on large input. Ship is refused while it stands.');
    expect(b1.findings).toEqual({ critical: 1, major: 0, minor: 1 });
    expect(buildBoard(s, f)?.columns.find((x) => x.id === 'harden')).toMatchObject({ note: '2 critical · 0 major · 1 minor', alert: true });
  });

  it('held back with the whole change: Ship is refused by name while another builder is unapproved or a critical stands', () => {
    const s = buildLedger({ ...doneThrough('assemble'), b2: { status: 'failed', error: 'changes requested by r-b2: no' } }, { status: 'partial' });
    const f = files({ integration: integrationFile('passed'), tally: tallyFile([finding({ owner: 'b2' })]) });
    const c = cardOf(s, 'b1', f);
    expect(at(c)).toEqual(['ship', 'blocked', 'ship-refused']);
    expect(c.blocked?.reason).toBe('Ship is refused for the whole change: 1 critical finding (in b2\'s files); not approved: b2.');
  });

  it('the assembly failed: stopped before Ship', () => {
    const s = buildLedger({ ...doneThrough('harden'), assemble: { status: 'failed', error: 'disk full' } }, { status: 'partial' });
    expect(cardOf(s, 'b1').blocked).toEqual({ kind: 'assembly-failed', reason: 'The final assembly failed: disk full' });
  });
});

describe('the pipeline\'s outcome', () => {
  const finished = buildLedger(doneThrough('assemble'), { status: 'completed' });

  it('integration: passed after fix rounds, linking the last log only once it exists', () => {
    const f = files({ integration: integrationFile('passed', 2) });
    expect(pipelineView(finished, f)?.integration).toEqual({ state: 'passed', command: 'npm test', rounds: 2, timedOut: false, log: null, agentId: 'integration' });
    expect(pipelineView(finished, f, new Set(['checks/integration-1.log']))?.integration?.log).toBe('checks/integration-1.log');
  });

  it('integration: waiting and running from the ledger before integration.json exists; no check set; failed', () => {
    expect(pipelineView(buildLedger(doneThrough('builders')), NO_PIPELINE_FILES)?.integration?.state).toBe('waiting');
    expect(pipelineView(buildLedger({ ...doneThrough('reviews'), integration: running }), NO_PIPELINE_FILES)?.integration?.state).toBe('running');
    expect(pipelineView(finished, files({ integration: integrationFile('no-check') }))?.integration).toMatchObject({ state: 'no-check', command: null, rounds: 0 });
    const failed = pipelineView(finished, files({ integration: integrationFile('failed', 3, { rounds: [{ round: 0, ok: false, code: null, timedOut: true, log: 'checks/integration-0.log', ms: 60_000 }] }) }));
    expect(failed?.integration).toMatchObject({ state: 'failed', timedOut: true });
    expect(failed?.ship).toMatchObject({ state: 'refused', blockers: ['the integration check failed on the assembled change'] });
  });

  it('hardening: the tally with criticals first, criticals block Ship; off when the setting turned it off', () => {
    const tally = tallyFile([
      finding({ id: 'h-style-1', severity: 'minor', concern: 'style' }),
      finding({ id: 'h-correctness-2', severity: 'major', concern: 'correctness', status: 'fixed' }),
      finding(),
    ]);
    const p = pipelineView(finished, files({ integration: integrationFile('passed'), tally }));
    expect(PipelineViewSchema.safeParse(p).success).toBe(true);
    expect(p?.harden).toMatchObject({ state: 'done', critical: 1, major: 1, minor: 1, more: 0 });
    expect(p?.harden?.findings.map((f) => f.id)).toEqual(['h-security-1', 'h-correctness-2', 'h-style-1']);
    expect(p?.ship).toMatchObject({ state: 'refused', blockers: ['1 critical finding (in b2\'s files)'] });
    expect(pipelineView(finished, files({ tally: tallyFile([], false) }))?.harden?.state).toBe('off');
    // Without a tally yet: the hardeners' records say whether it runs; none at all means it is off.
    expect(pipelineView(buildLedger({ ...doneThrough('integration'), [HARDENERS[0]]: running }), NO_PIPELINE_FILES)?.harden?.state).toBe('running');
    expect(pipelineView(buildLedger(doneThrough('integration'), {}, { hardening: false }), NO_PIPELINE_FILES)?.harden?.state).toBe('off');
  });

  it('ship: waiting while the run works, ready when nothing blocks it, shipped with its branch', () => {
    expect(pipelineView(buildLedger(doneThrough('reviews')), NO_PIPELINE_FILES)?.ship.state).toBe('waiting');
    expect(pipelineView(buildLedger({}, { status: 'declined' }), NO_PIPELINE_FILES)?.ship).toMatchObject({ state: 'waiting', blockers: [] });
    const ok = files({ integration: integrationFile('passed'), tally: tallyFile([]) });
    expect(pipelineView(finished, ok)?.ship).toEqual({ state: 'ready', blockers: [], branch: null, commit: null, pushedTo: null, headMoved: false });
    const shipped = pipelineView(finished, { ...ok, ship: shipFile({ pushedTo: 'origin', headMoved: true }) });
    expect(shipped?.ship).toMatchObject({ state: 'shipped', branch: 'orchestration/20250601-115500-ab12', pushedTo: 'origin', headMoved: true, blockers: [] });
  });

  it('names every reason Ship would refuse', () => {
    const s = buildLedger({ ...doneThrough('harden'), b1: { status: 'failed', error: 'x' }, assemble: { status: 'cancelled' } }, { status: 'cancelled' });
    expect(shipBlockers(s, files({ integration: integrationFile('failed'), tally: tallyFile([finding(), finding({ id: 'h-security-2' })]) }))).toEqual([
      '2 critical findings (in b2\'s files)', 'the integration check failed on the assembled change', 'not approved: b1', 'the change was not assembled',
    ]);
  });

  it('reads an old build (no integration step, no hardeners) without inventing stages', () => {
    const agents: AgentRecord[] = buildLedger(doneThrough('reviews')).agents.filter((a) => !['integration', 'fix', 'hardener'].includes(a.role));
    const s = buildLedger(doneThrough('reviews'), { agents });
    expect(pipelineView(s, NO_PIPELINE_FILES)).toMatchObject({ integration: null, harden: null, ship: { state: 'waiting' } });
    expect(cardOf(s, 'b1')).toMatchObject({ column: 'ship', state: 'waiting', note: 'waiting for the assembly' });
  });
});
