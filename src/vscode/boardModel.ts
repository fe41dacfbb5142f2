/**
 * The task board of a build run (plan → build → check → review → integrate → harden → ship) and
 * the pipeline's outcome (integration check, hardening tally, Ship), derived from the ledger and
 * the pipeline's files. Pure (no vscode, no fs): the dashboard and the Summary read the files and
 * hand them in. Everything is told by role (`builder`, `reviewer`, `integration`, `fixer`,
 * `hardener`, `final`), never by the pattern's name, so any graph with builders gets a board.
 */
import type { AgentRecord, AgentStatus, LedgerSnapshot } from '../engine';
import type { HardenFinding, HardenTally, IntegrationResult, ShipRecord } from '../engine/patterns/build/pipelineFiles';
import type { Board, BoardCard, BoardColumn, BoardColumnView } from '../shared/dashboardProtocol';
import { BOARD_COLUMNS } from '../shared/dashboardProtocol';
import type { PipelineFinding, PipelineView } from '../shared/protocol';
import { plural } from '../shared/words';
import { shownStatus, type ShownStatus } from './runShape';

/** The pipeline's files of one run, each null while missing or unreadable. */
export interface PipelineFiles {
  integration: IntegrationResult | null;
  tally: HardenTally | null;
  ship: ShipRecord | null;
}

export const NO_PIPELINE_FILES: PipelineFiles = { integration: null, tally: null, ship: null };

/** What the dashboard knows of each agent's past statuses (its TransitionLog). */
export interface StatusHistory {
  of(agentId: string): readonly { status: AgentStatus }[];
}

/** Findings a view lists one by one; the tally file holds them all. */
export const FINDINGS_SHOWN = 50;
/** Owned files a card names. */
const CARD_FILES = 3;

const COLUMN_LABELS: Record<BoardColumn, string> = {
  plan: 'Plan', build: 'Build', check: 'Check', review: 'Review', integrate: 'Integrate', harden: 'Harden', ship: 'Ship',
};

const IN_FLIGHT: ReadonlySet<ShownStatus> = new Set(['queued', 'running', 'verifying', 'retrying']);
const WORKING: ReadonlySet<ShownStatus> = new Set(['running', 'verifying', 'retrying']);
const SETTLED: ReadonlySet<ShownStatus> = new Set(['completed', 'failed', 'cancelled', 'skipped', 'interrupted']);

/** The run's pipeline stages as its ledger holds them (each may be absent). */
interface Stages {
  reviewers: Map<string, AgentRecord>;
  integration: AgentRecord | undefined;
  fixers: AgentRecord[];
  hardeners: AgentRecord[];
  final: AgentRecord | undefined;
}

function stagesOf(s: LedgerSnapshot): Stages {
  const reviewers = new Map<string, AgentRecord>();
  for (const a of s.agents) if (a.role === 'reviewer') for (const d of a.dependsOn) reviewers.set(d, a);
  return {
    reviewers,
    integration: s.agents.find((a) => a.role === 'integration'),
    fixers: s.agents.filter((a) => a.role === 'fixer'),
    hardeners: s.agents.filter((a) => a.role === 'hardener'),
    final: s.agents.find((a) => a.role === 'final'),
  };
}

const buildersOf = (s: LedgerSnapshot): AgentRecord[] => s.agents.filter((a) => a.role === 'builder');

/** A builder whose change is in the assembly: it completed and its reviewer (if it has one) approved. */
function approved(st: Stages, b: AgentRecord): boolean {
  const r = st.reviewers.get(b.id);
  return b.status === 'completed' && (!r || r.status === 'completed');
}

const ownsFile = (b: AgentRecord, file: string): boolean => b.scope.some((o) => {
  const own = o.replace(/\/+$/, '');
  return file === own || file.startsWith(`${own}/`);
});

/** Findings in a builder's files: the tally names the owner, or the file is one it owns. */
function findingsOf(b: AgentRecord, tally: HardenTally | null): HardenFinding[] {
  return (tally?.findings ?? []).filter((f) => f.owner === b.id || (f.owner === null && f.file !== null && ownsFile(b, f.file)));
}

/** The run has finished, or its last step has: nothing more will happen without the user. */
function settledRun(s: LedgerSnapshot, st: Stages): boolean {
  // A declined plan never ran: there is no change for Ship to refuse.
  if (s.status === 'declined') return false;
  return !['planning', 'awaiting-approval', 'running'].includes(s.status) || (st.final !== undefined && SETTLED.has(shownStatus(st.final, s.status)));
}

function lastLog(r: IntegrationResult | null): string | null {
  return r?.rounds.at(-1)?.log ?? null;
}

/** Why Ship would refuse the change, by name (empty: it would not). */
export function shipBlockers(s: LedgerSnapshot, files: PipelineFiles): string[] {
  const st = stagesOf(s);
  const out: string[] = [];
  const critical = files.tally?.enabled ? files.tally.critical : 0;
  if (critical > 0) {
    const owners = [...new Set((files.tally?.findings ?? []).filter((f) => f.severity === 'critical' && f.owner).map((f) => f.owner))];
    out.push(`${plural(critical, 'critical finding')}${owners.length ? ` (in ${owners.join(', ')}'s files)` : ''}`);
  }
  if (files.integration?.status === 'failed') out.push('the integration check failed on the assembled change');
  else if (st.integration && shownStatus(st.integration, s.status) === 'failed') out.push(`the integration step failed: ${st.integration.error ?? 'no reason recorded'}`);
  const unapproved = buildersOf(s).filter((b) => !approved(st, b)).map((b) => b.id);
  if (unapproved.length) out.push(`not approved: ${unapproved.join(', ')}`);
  if (st.final && shownStatus(st.final, s.status) !== 'completed') out.push('the change was not assembled');
  return out;
}

const shortFinding = (f: HardenFinding): PipelineFinding => ({
  id: f.id.slice(0, 100), severity: f.severity, concern: f.concern, file: f.file?.slice(0, 500) ?? null, line: f.line,
  text: f.text.slice(0, 2000), owner: f.owner?.slice(0, 80) ?? null, status: f.status,
});

const SEVERITY_ORDER = { critical: 0, major: 1, minor: 2 } as const;

/**
 * The pipeline's outcome for the Summary and the dashboard: null for a run without builders.
 * `written` holds run-relative files known to exist, so the log is linked only once it is there.
 */
export function pipelineView(s: LedgerSnapshot, files: PipelineFiles, written: ReadonlySet<string> = new Set()): PipelineView | null {
  if (!buildersOf(s).length && !files.integration && !files.tally && !files.ship) return null;
  const st = stagesOf(s);
  const status = (a: AgentRecord | undefined): ShownStatus | null => (a ? shownStatus(a, s.status) : null);

  let integration: PipelineView['integration'] = null;
  const r = files.integration;
  if (r) {
    const log = lastLog(r);
    integration = {
      state: r.status, command: r.command?.slice(0, 2000) ?? null, rounds: r.rounds.length, timedOut: r.rounds.at(-1)?.timedOut ?? false,
      log: log && written.has(log) ? log.slice(0, 500) : null, agentId: st.integration?.id ?? null,
    };
  } else if (st.integration) {
    const i = status(st.integration);
    const running = (i !== null && WORKING.has(i)) || st.fixers.some((f) => WORKING.has(shownStatus(f, s.status)));
    integration = { state: running ? 'running' : 'waiting', command: null, rounds: 0, timedOut: false, log: null, agentId: st.integration.id };
  }

  let harden: PipelineView['harden'] = null;
  const t = files.tally;
  if (t) {
    const sorted = [...t.findings].sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
    harden = {
      state: t.enabled ? 'done' : 'off', critical: t.critical, major: t.major, minor: t.minor,
      findings: sorted.slice(0, FINDINGS_SHOWN).map(shortFinding), more: Math.max(0, sorted.length - FINDINGS_SHOWN),
    };
  } else if (st.hardeners.length) {
    const running = st.hardeners.some((h) => WORKING.has(shownStatus(h, s.status)));
    harden = { state: running ? 'running' : 'waiting', critical: 0, major: 0, minor: 0, findings: [], more: 0 };
  } else if (st.integration) {
    // The pipeline ran (it has an integration step) without hardeners: the setting turned it off.
    harden = { state: 'off', critical: 0, major: 0, minor: 0, findings: [], more: 0 };
  }

  const shipped = files.ship;
  const blockers = shipped ? [] : settledRun(s, st) ? shipBlockers(s, files) : [];
  const ship: PipelineView['ship'] = {
    state: shipped ? 'shipped' : !settledRun(s, st) ? 'waiting' : blockers.length ? 'refused' : 'ready',
    blockers: blockers.map((b) => b.slice(0, 500)),
    branch: shipped?.branch.slice(0, 300) ?? null, commit: shipped?.commit.slice(0, 80) ?? null,
    pushedTo: shipped?.pushedTo?.slice(0, 300) ?? null, headMoved: shipped?.headMoved ?? false,
  };
  return { integration, harden, ship };
}

type Placed = Pick<BoardCard, 'column' | 'state' | 'note' | 'blocked'>;
const place = (column: BoardColumn, state: BoardCard['state'], note: string, blocked: BoardCard['blocked'] = null): Placed => ({ column, state, note, blocked });

/** The in-flight status an agent was in just before it settled, from its history (null without one). */
function lastFlightBefore(history: StatusHistory | undefined, id: string): AgentStatus | null {
  const list = history?.of(id) ?? [];
  for (let i = list.length - 1; i >= 0; i--) if (IN_FLIGHT.has(list[i].status)) return list[i].status;
  return null;
}

const CONFLICT = /conflict/i;
const CHECK_FAILED = /^the verification command/i;

/**
 * Where a failed builder's card stops and why. The reviewer settled: its review turned it down, or
 * assembly found a conflict. Otherwise the builder's own attempt failed, in its check when it was
 * verifying at the end (or its error says the check failed).
 */
function failedBuilder(b: AgentRecord, reviewer: AgentRecord | undefined, runStatus: LedgerSnapshot['status'], history: StatusHistory | undefined): Placed {
  const error = b.error ?? 'no reason recorded';
  const reviewed = reviewer && shownStatus(reviewer, runStatus) === 'completed';
  if (reviewed && CONFLICT.test(error)) {
    return place('integrate', 'blocked', 'left out of the assembly', { kind: 'conflict', reason: `Merge conflict: ${error}` });
  }
  if (reviewed) {
    return place('review', 'blocked', `rejected by ${reviewer.id}`, { kind: 'rejected', reason: `Rejected by review: ${error}` });
  }
  if (lastFlightBefore(history, b.id) === 'verifying' || CHECK_FAILED.test(error)) {
    return place('check', 'blocked', 'check failed', { kind: 'check-failed', reason: `The check failed: ${error}` });
  }
  return place('build', 'blocked', 'builder failed', { kind: 'builder-failed', reason: `Builder failed: ${error}` });
}

/** Where a builder whose change was approved is, from the stages after review. */
function approvedBuilder(s: LedgerSnapshot, st: Stages, b: AgentRecord, files: PipelineFiles): Placed {
  const status = (a: AgentRecord): ShownStatus => shownStatus(a, s.status);
  const integ = st.integration;
  if (integ) {
    const i = status(integ);
    if (files.integration?.status === 'failed') {
      const rounds = files.integration.rounds.length;
      const log = lastLog(files.integration);
      return place('integrate', 'blocked', 'integration check failed', {
        kind: 'integration-failed',
        reason: `The integration check failed on the assembled change after ${plural(rounds, 'round')}${log ? `; its log is ${log}` : ''}. It is not shippable.`,
      });
    }
    if (i === 'failed') {
      return place('integrate', 'blocked', 'integration step failed', { kind: 'integration-failed', reason: `The integration step failed: ${integ.error ?? 'no reason recorded'}` });
    }
    if (i === 'cancelled' || i === 'interrupted' || i === 'skipped') return place('integrate', 'stopped', `integration ${i}`);
    const fixing = st.fixers.find((f) => WORKING.has(status(f)));
    if (fixing) return place('integrate', 'active', `${fixing.id} repairs what the check reported`);
    if (WORKING.has(i)) return place('integrate', 'active', 'checking the assembled change');
    if (i !== 'completed' || st.fixers.some((f) => !SETTLED.has(status(f)))) return place('integrate', 'waiting', 'approved; waiting for the other reviews');
  }
  const critical = findingsOf(b, files.tally).filter((f) => f.severity === 'critical');
  if (files.tally?.enabled && critical.length) {
    const f = critical[0];
    const where = f.file ? ` in ${f.file}${f.line ? `:${f.line}` : ''}` : '';
    const more = critical.length > 1 ? ` (and ${plural(critical.length - 1, 'more critical finding')})` : '';
    return place('harden', 'blocked', `${plural(critical.length, 'critical finding')}`, {
      kind: 'critical', reason: `Critical finding ${f.id}${where}: ${f.text.replace(/[.\s]+$/, '')}${more}. Ship is refused while it stands.`,
    });
  }
  const hardening = st.hardeners.length > 0;
  const b0 = status(b);
  if (WORKING.has(b0)) return place(hardening ? 'harden' : 'integrate', 'active', `${b.id} fixes a finding in its files`);
  const auditing = st.hardeners.filter((h) => WORKING.has(status(h)));
  if (auditing.length) return place('harden', 'active', `${auditing.map((h) => h.id).join(', ')} auditing the combined change`);
  if (st.hardeners.some((h) => !SETTLED.has(status(h)))) return place('harden', 'waiting', 'waiting for the auditors');
  const fin = st.final;
  if (fin) {
    const f = status(fin);
    if (f === 'failed') return place('ship', 'blocked', 'assembly failed', { kind: 'assembly-failed', reason: `The final assembly failed: ${fin.error ?? 'no reason recorded'}` });
    if (f === 'cancelled' || f === 'interrupted' || f === 'skipped') return place('ship', 'stopped', `assembly ${f}`);
    if (WORKING.has(f)) return place(hardening ? 'harden' : 'ship', 'active', hardening ? 'tallying the findings' : 'assembling the change');
    if (f !== 'completed') return place(hardening ? 'harden' : 'ship', 'waiting', 'waiting for the assembly');
  } else if (!settledRun(s, st)) {
    return place('ship', 'waiting', 'waiting for the run to finish');
  }
  if (files.ship) return place('ship', 'done', `shipped on ${files.ship.branch}`);
  const blockers = shipBlockers(s, files);
  if (blockers.length) return place('ship', 'blocked', 'held back with the whole change', { kind: 'ship-refused', reason: `Ship is refused for the whole change: ${blockers.join('; ')}.` });
  return place('ship', 'waiting', 'ready: Ship to Branch commits it');
}

/** One builder's column, state and why. */
function placeCard(s: LedgerSnapshot, st: Stages, b: AgentRecord, files: PipelineFiles, history?: StatusHistory): Placed {
  const bs = shownStatus(b, s.status);
  const reviewer = st.reviewers.get(b.id);
  switch (bs) {
    case 'pending': {
      if (s.status === 'awaiting-approval') return place('plan', 'waiting', 'planned; awaiting your approval');
      // A greenfield builder waits for the scaffold it branches from.
      const before = b.dependsOn.filter((id) => s.agents.find((a) => a.id === id)?.status !== 'completed');
      return place('plan', 'waiting', before.length ? `waiting for ${before.join(', ')}` : 'planned');
    }
    case 'queued': return place('plan', 'waiting', 'queued for a slot');
    case 'skipped': return place('plan', 'stopped', s.status === 'declined' ? 'plan declined' : (b.error ?? 'skipped'));
    case 'cancelled': case 'interrupted': return place('build', 'stopped', bs);
    case 'failed': return failedBuilder(b, reviewer, s.status, history);
    case 'verifying': return place('check', 'active', 'running the check');
    case 'running': case 'retrying': {
      // Running again after its review: the reviewer is still in flight and waits for the revision.
      if (reviewer && IN_FLIGHT.has(shownStatus(reviewer, s.status))) return place('build', 'active', `revising after ${reviewer.id}'s review`);
      // Running again after integration settled: the engine's fix round for a major finding in its files.
      if (st.integration && SETTLED.has(shownStatus(st.integration, s.status))) return approvedBuilder(s, st, b, files);
      return place('build', 'active', bs === 'retrying' ? `retrying (attempt ${b.attempts})` : b.attempts > 1 ? `building, attempt ${b.attempts}` : 'building');
    }
    case 'completed': break;
  }
  if (reviewer) {
    const rs = shownStatus(reviewer, s.status);
    if (rs === 'pending' || rs === 'queued') return place('review', 'waiting', 'awaiting review');
    if (WORKING.has(rs)) return place('review', 'active', `${reviewer.id} reviewing`);
    if (rs !== 'completed') {
      const why = rs === 'failed' ? `${reviewer.id} failed (${reviewer.error ?? 'no reason recorded'})` : `${reviewer.id} was ${rs}`;
      return place('review', 'blocked', 'not approved', { kind: 'not-approved', reason: `Not approved: ${why}, so Ship is refused while it stays unreviewed.` });
    }
  }
  return approvedBuilder(s, st, b, files);
}

interface ColumnNote { text: string; alert: boolean }

function columnNotes(s: LedgerSnapshot, view: PipelineView | null): Partial<Record<BoardColumn, ColumnNote>> {
  const notes: Partial<Record<BoardColumn, ColumnNote>> = {};
  const i = view?.integration;
  if (i) {
    const text = i.state === 'passed' ? `check passed${i.rounds > 1 ? ` after ${plural(i.rounds - 1, 'fix round')}` : ''}`
      : i.state === 'failed' ? 'check failed' : i.state === 'no-check' ? 'no check set' : i.state === 'nothing-merged' ? 'nothing merged' : null;
    if (text) notes.integrate = { text, alert: i.state === 'failed' };
  }
  const h = view?.harden;
  if (h?.state === 'off') notes.harden = { text: 'hardening off', alert: false };
  else if (h?.state === 'done') notes.harden = { text: `${h.critical} critical · ${h.major} major · ${h.minor} minor`, alert: h.critical > 0 };
  const ship = view?.ship;
  if (ship?.state === 'shipped') notes.ship = { text: ship.branch ?? 'shipped', alert: false };
  else if (ship?.state === 'refused') notes.ship = { text: 'Ship refused', alert: true };
  else if (ship?.state === 'ready') notes.ship = { text: 'ready to ship', alert: false };
  if (s.status === 'awaiting-approval') notes.plan = { text: 'awaiting approval', alert: false };
  return notes;
}

/**
 * The board: one card per builder, in plan order. `labels` tells builders apart (the dashboard's
 * distinct labels); `history` lets a failed builder's card stop in Check when it failed there.
 */
export function buildBoard(
  s: LedgerSnapshot, files: PipelineFiles, opts: { history?: StatusHistory; labels?: ReadonlyMap<string, string>; pipeline?: PipelineView | null } = {},
): Board | null {
  const builders = buildersOf(s);
  if (!builders.length) return null;
  const st = stagesOf(s);
  const notes = columnNotes(s, opts.pipeline === undefined ? pipelineView(s, files) : opts.pipeline);
  const columns: BoardColumnView[] = BOARD_COLUMNS.map((id) => ({ id, label: COLUMN_LABELS[id], note: notes[id]?.text.slice(0, 300) ?? null, alert: notes[id]?.alert ?? false }));
  const cards: BoardCard[] = builders.map((b) => {
    const placed = placeCard(s, st, b, files, opts.history);
    const mine = findingsOf(b, files.tally);
    const count = (sev: HardenFinding['severity']) => mine.filter((f) => f.severity === sev).length;
    return {
      id: b.id, label: (opts.labels?.get(b.id) ?? b.task).slice(0, 300), task: b.task.slice(0, 2000),
      files: b.scope.slice(0, CARD_FILES).map((f) => f.slice(0, 500)), moreFiles: Math.max(0, b.scope.length - CARD_FILES),
      ...placed, note: placed.note.slice(0, 300),
      blocked: placed.blocked && { kind: placed.blocked.kind, reason: placed.blocked.reason.slice(0, 2000) },
      findings: { critical: count('critical'), major: count('major'), minor: count('minor') },
    };
  });
  return { columns, cards };
}
