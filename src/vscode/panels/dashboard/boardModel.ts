/**
 * The task board of a build run: a card per builder in the column its change has reached (plan →
 * build → check → review → integrate → harden → ship), and why a blocked card is blocked. Derived
 * from the ledger by role and from the pipeline's files (boardPipeline.ts), so any graph with
 * builders gets a board. Pure (no vscode, no fs).
 */
import type { AgentRecord, AgentStatus, LedgerSnapshot } from '../../../engine';
import type { HardenFinding } from '../../../engine/pipelineFiles';
import { BOARD_COLUMNS, type Board, type BoardCard, type BoardColumn, type BoardColumnView } from '../../../shared/dashboardProtocol';
import type { PipelineView } from '../../../shared/protocol';
import { plural } from '../../../shared/words';
import {
  buildersOf, findingsOf, IN_FLIGHT, lastLog, pipelineView, SETTLED, settledRun, shipBlockers, stagesOf, WORKING, type PipelineFiles, type Stages,
} from './boardPipeline';
import { shownStatus, type ShownStatus } from '../../runs/runShape';

/** What the dashboard knows of each agent's past statuses (its TransitionLog). */
export interface StatusHistory {
  of(agentId: string): readonly { status: AgentStatus }[];
}

/** Owned files a card names. */
const CARD_FILES = 3;

const COLUMN_LABELS: Record<BoardColumn, string> = {
  plan: 'Plan', code: 'Build', check: 'Check', review: 'Review', integrate: 'Integrate', harden: 'Harden', ship: 'Ship',
};

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
  return place('code', 'blocked', 'builder failed', { kind: 'builder-failed', reason: `Builder failed: ${error}` });
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
    case 'cancelled': case 'interrupted': return place('code', 'stopped', bs);
    case 'failed': return failedBuilder(b, reviewer, s.status, history);
    case 'verifying': return place('check', 'active', 'running the check');
    case 'running': case 'retrying': {
      // Running again after its review: the reviewer is still in flight and waits for the revision.
      if (reviewer && IN_FLIGHT.has(shownStatus(reviewer, s.status))) return place('code', 'active', `revising after ${reviewer.id}'s review`);
      // Running again after integration settled: the engine's fix round for a major finding in its files.
      if (st.integration && SETTLED.has(shownStatus(st.integration, s.status))) return approvedBuilder(s, st, b, files);
      return place('code', 'active', bs === 'retrying' ? `retrying (attempt ${b.attempts})` : b.attempts > 1 ? `building, attempt ${b.attempts}` : 'building');
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
