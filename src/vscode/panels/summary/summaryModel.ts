/** Builds the Summary webview's state from a ledger snapshot, its plan and the pattern's files. Pure, so it is unit-tested. */
import { offersFindings } from '../../commands/findingsOffer';
import { approvalsWaiting, trustNotes, type AgentRecord, type AnyPlan, type CardDecl, type ChangeSet, type LedgerSnapshot, type RunStatus } from '../../../engine';
import { runProgress } from '../../../engine/ledger/progress';
import type { AgentView, ChangesView, GroupView, MapReduceCard, PanelCard, PatternCard, PipelineCard, ProgressView, RunView, SupervisorCard } from '../../../shared/protocol';
import { NO_PIPELINE_FILES, pipelineView, type PipelineFiles } from '../dashboard/boardPipeline';
import { NO_ARTIFACTS, type PatternArtifacts } from './patternArtifacts';
import { waitsForApproval } from '../../runs/approvals';
import { byEngine, finalAgentOf, startedByOf, groupAgents, groupLabel, groupsOf, PAGE_SIZE, patternOf, plannerOf, runLevelAgents, shownStatus, viewOf } from '../../runs/runShape';

/** The webview gets at most this much of summary.md; the rest is one click away in the editor. */
export const SUMMARY_LIMIT = 200_000;
/** Excluded files a map-reduce card names one by one; selection.json holds them all. */
export const EXCLUDED_SAMPLE = 8;
/** Changed files the Changes card lists; the Ledger and changes.json hold them all. */
export const CHANGED_FILES_SHOWN = 50;

export interface RunActions { approve: boolean; decline: boolean; cancel: boolean; resume: boolean; retry: boolean; reviewDraft: boolean; fixFindings: boolean; approveStage: boolean }

/**
 * Which buttons make sense, given the run's status, whether this window is executing it, and
 * whether the plan editor holds an edited draft of its plan. With a draft there is one Approve,
 * the editor's: approving here would run the plan without the edits the user can see there.
 */
export function runActions(s: LedgerSnapshot, executingHere: boolean, draftEdited = false): RunActions {
  const failed = s.agents.some((a) => a.status === 'failed');
  // Not `declined`: the user turned that plan down, and resuming it would run it anyway.
  const finished = !executingHere && ['partial', 'failed', 'cancelled', 'interrupted'].includes(s.status);
  const awaiting = s.status === 'awaiting-approval' && !executingHere;
  return {
    approve: awaiting && !draftEdited,
    reviewDraft: awaiting && draftEdited,
    decline: awaiting,
    cancel: s.status === 'running' && executingHere,
    resume: finished && s.agents.length > 0,
    retry: finished && failed,
    fixFindings: !executingHere && offersFindings(s),
    approveStage: !executingHere && waitsForApproval(s),
  };
}

function agentView(a: AgentRecord, runStatus: RunStatus, written: ReadonlySet<string>, pattern: string): AgentView {
  return {
    id: a.id, task: a.task, tier: a.tier, model: a.modelReported ?? a.modelRequested, status: shownStatus(a, runStatus),
    outputFile: a.outputFile, written: written.has(a.outputFile), returned: a.returned, error: a.error, byEngine: byEngine(pattern, a),
    batch: a.batch === true, agentDefinition: a.agentDefinition ?? null, agentNotes: a.agentNotes ?? [],
  };
}

function progressView(agents: readonly AgentRecord[]): ProgressView {
  const p = runProgress(agents);
  return { done: p.done, total: p.total, active: p.active, waiting: p.waiting, failed: p.failed, cancelled: p.cancelled, skipped: p.skipped };
}

/** The Changes card of a build run: what Apply would write. `busy`: a window is running the run, so nothing applies yet. */
export function changesView(cs: ChangeSet, busy: boolean): ChangesView {
  const sum = (k: 'added' | 'removed') => cs.files.reduce((n, f) => n + f[k], 0);
  return {
    state: cs.state,
    files: cs.files.slice(0, CHANGED_FILES_SHOWN).map((f) => ({ path: f.path, status: f.status, added: f.added, removed: f.removed, binary: f.binary })),
    more: Math.max(0, cs.files.length - CHANGED_FILES_SHOWN),
    fileCount: cs.files.length,
    added: sum('added'),
    removed: sum('removed'),
    conflicts: cs.conflicts.map((c) => ({ agentId: c.agentId, message: c.message })),
    canAct: cs.state === 'proposed' && cs.files.length > 0 && !busy,
  };
}

/** What the plan says in prose: fan-out's and pipeline's summary, map-reduce's question, the supervisor's brief. */
function planText(plan: AnyPlan | undefined): string {
  if (!plan) return '';
  const field = (k: string): string => (typeof plan[k] === 'string' ? (plan[k]).trim() : '');
  if (field('summary')) return field('summary');
  if (field('question')) return `**Question:** ${field('question')}`;
  if (field('brief')) return `**Brief:** ${field('brief')}`;
  return '';
}

type CardOf<K extends CardDecl['kind']> = Extract<CardDecl, { kind: K }>;

// Every count of done and failed agents is runProgress's, so the Summary agrees with every other view.
const done = (agents: readonly AgentRecord[]) => runProgress(agents).done;
const failed = (agents: readonly AgentRecord[]) => runProgress(agents).failed;

function handoffsCard(s: LedgerSnapshot, decl: CardOf<'handoffs'>, art: PatternArtifacts, written: ReadonlySet<string>, names: ReadonlyMap<string, string>): PipelineCard {
  const stages = s.agents.filter((a) => a.role === decl.role);
  const name = (a: AgentRecord) => names.get(a.domain ?? a.id) ?? a.id;
  const failedStage = stages.find((a) => a.status === 'failed');
  return {
    kind: 'handoffs',
    stages: stages.map((a) => ({
      id: a.id, name: name(a), status: shownStatus(a, s.status), error: a.error,
      handoff: art.handoffs.get(a.id) ?? null,
      handoffFile: decl.handoffFile(a.id), handoffWritten: written.has(decl.handoffFile(a.id)),
    })),
    failed: failedStage ? name(failedStage) : null,
    skipped: stages.filter((a) => shownStatus(a, s.status) === 'skipped').map(name),
  };
}

function progressCard(s: LedgerSnapshot, decl: CardOf<'progress'>, art: PatternArtifacts): MapReduceCard {
  const mappers = s.agents.filter((a) => a.role === decl.leaf);
  const levels = new Map<number, AgentRecord[]>();
  for (const a of s.agents) {
    const level = decl.level(a);
    if (level !== null) levels.set(level, [...(levels.get(level) ?? []), a]);
  }
  const sel = art.selection;
  const byReason = new Map<string, number>();
  for (const e of sel?.excluded ?? []) byReason.set(e.reason, (byReason.get(e.reason) ?? 0) + 1);
  return {
    kind: 'progress',
    mappers: { done: done(mappers), failed: failed(mappers), total: mappers.length },
    levels: [...levels.entries()].sort(([a], [b]) => a - b).map(([level, rs]) => ({ level, done: done(rs), failed: failed(rs), total: rs.length })),
    selectedFiles: sel?.selectedFiles ?? null,
    excluded: sel ? sel.excluded.length : null,
    excludedByReason: [...byReason.entries()].sort((a, b) => b[1] - a[1]).map(([reason, count]) => ({ reason, count })),
    excludedSample: (sel?.excluded ?? []).slice(0, EXCLUDED_SAMPLE),
  };
}

function roundsCard(s: LedgerSnapshot, decl: CardOf<'rounds'>, art: PatternArtifacts): SupervisorCard {
  const saved = new Map((art.rounds ?? []).map((r) => [r.round, r]));
  const rounds = s.agents.filter((a) => a.role === decl.round).map((a) => {
    const round = decl.roundOf(a);
    const workers = s.agents.filter((w) => w.role === decl.spawned && w.domain === a.domain);
    const r = saved.get(round);
    return {
      round, status: shownStatus(a, s.status), spawned: r?.spawned ?? workers.length, workersDone: done(workers),
      promptTokens: r?.promptTokens ?? null, returnTokens: r?.returnTokens ?? null, outcome: r?.outcome ?? null,
    };
  });
  return { kind: 'rounds', rounds };
}

function verdictsCard(s: LedgerSnapshot, decl: CardOf<'verdicts'>, art: PatternArtifacts, written: ReadonlySet<string>): PanelCard {
  const experts = s.agents.filter((a) => a.role === decl.role);
  const t = art.tally;
  return {
    kind: 'verdicts',
    experts: { done: done(experts), total: experts.length },
    noun: decl.role,
    tally: t && {
      line: t.line, planned: t.planned, answered: t.answered, quorum: t.quorum, quorumMet: t.quorumMet,
      majority: t.majority, unanimous: t.unanimous, counts: t.counts,
      experts: t.experts.map((e) => ({
        id: e.id, perspective: e.perspective, verdict: e.verdict?.verdict ?? null, confidence: e.verdict?.confidence ?? null,
        concerns: e.verdict?.concerns ?? [], gap: e.gap, dissent: t.dissenters.includes(e.id), file: e.file, written: written.has(e.file),
      })),
    },
  };
}

/** The card the run's pattern declares (PatternView.card), filled from the ledger and its artifacts; null when it declares none. */
export function patternCard(s: LedgerSnapshot, plan: AnyPlan | undefined, art: PatternArtifacts, written: ReadonlySet<string>): PatternCard | null {
  const decl = viewOf(patternOf(s, plan)).card;
  switch (decl?.kind) {
    case 'handoffs': return handoffsCard(s, decl, art, written, new Map(groupsOf(s, plan).map((g) => [g.id, g.label])));
    case 'progress': return progressCard(s, decl, art);
    case 'rounds': return roundsCard(s, decl, art);
    case 'verdicts': return verdictsCard(s, decl, art, written);
    default: return null;
  }
}

/** The files the view may link to, besides agents' outputs and gaps: the host checks which exist. */
export function linkableFiles(s: LedgerSnapshot, art: PatternArtifacts = NO_ARTIFACTS, pipeline: PipelineFiles = NO_PIPELINE_FILES): string[] {
  const files = [...s.agents.map((a) => a.outputFile), ...s.gaps.map((g) => g.outputFile)];
  const log = pipeline.integration?.rounds.at(-1)?.log;
  if (log) files.push(log);
  const card = viewOf(patternOf(s)).card;
  if (card?.kind === 'handoffs') for (const a of s.agents) if (a.role === card.role) files.push(card.handoffFile(a.id));
  for (const e of art.tally?.experts ?? []) files.push(e.file);
  return files;
}

/**
 * `written` holds the output files (relative to the run) that exist on disk: the view links only
 * to those, so no link leads to a file that is not there.
 */
export function buildRunView(
  s: LedgerSnapshot, plan: AnyPlan | undefined, finalSummary: string | null, actions: RunActions,
  written: ReadonlySet<string> = new Set(), artifacts: PatternArtifacts = NO_ARTIFACTS, changes: ChangeSet | null = null,
  pipelineFiles: PipelineFiles = NO_PIPELINE_FILES,
): RunView {
  const pattern = patternOf(s, plan);
  const declared = viewOf(pattern);
  const view = (a: AgentRecord) => agentView(a, s.status, written, pattern);
  const groups: GroupView[] = groupsOf(s, plan).map((g, i) => {
    const mine = groupAgents(s, g.id);
    const coordinator = declared.groupSummary ? mine.find((a) => a.role === declared.groupSummary) : undefined;
    const listed = mine.filter((a) => a !== coordinator);
    const p = runProgress(mine);
    return {
      id: g.id,
      name: groupLabel(pattern, g, i),
      done: p.done,
      total: p.total,
      agents: listed.slice(0, PAGE_SIZE).map(view),
      more: Math.max(0, listed.length - PAGE_SIZE),
      coordinator: coordinator ? view(coordinator) : null,
    };
  });
  const final = finalAgentOf(s);
  const planner = plannerOf(s);
  const t = s.totals;
  return {
    runId: s.runId,
    task: s.task,
    status: s.status,
    reason: s.reason,
    pattern,
    patternReason: (s.patternReason ?? plan?.reason)?.trim() || null,
    notes: trustNotes(s),
    // A planner that sent no request (a workflow, planned from its file) has nothing to say here.
    planner: planner && planner.requests > 0 ? {
      status: shownStatus(planner, s.status), model: planner.modelReported ?? planner.modelRequested,
      tokens: planner.usage.input + planner.usage.output + planner.usage.cacheRead + planner.usage.cacheWrite, costUsd: planner.costUsd,
    } : null,
    simulated: s.simulated,
    startedBy: startedByOf(s),
    planSummary: planText(plan),
    estimate: s.estimate,
    batched: s.agents.filter((a) => a.batch === true).length,
    actions,
    approvals: approvalsWaiting(s.agents, plan).map((w) => ({ stage: w.stage, message: w.message })),
    progress: progressView(s.agents),
    changes: changes ? changesView(changes, actions.cancel || s.status === 'running') : null,
    pipeline: pipelineView(s, pipelineFiles, written),
    groups,
    groupsTitle: declared.groupsTitle ?? 'Groups',
    others: runLevelAgents(s).filter((a) => a !== final).map(view),
    final: final ? view(final) : null,
    card: patternCard(s, plan, artifacts, written),
    finalSummary: finalSummary === null ? null : finalSummary.slice(0, SUMMARY_LIMIT),
    totals: {
      // runProgress's count (the planner left out), so the totals agree with the cards and every other view.
      agentsByStatus: { ...runProgress(s.agents).byStatus },
      usage: { ...t.usage },
      costUsd: t.costUsd,
      costByModel: { ...t.costByModel },
      parentContextTokens: t.parentContextTokens,
      flatBaselineTokens: t.flatBaselineTokens,
      wallMs: t.wallMs,
    },
    gaps: s.gaps.map((g) => ({ agentId: g.agentId, outputFile: g.outputFile, written: written.has(g.outputFile), reason: g.reason })),
  };
}
