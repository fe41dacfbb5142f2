/**
 * What the tools answer, as short text for a model to read: every answer is a few lines, so an
 * agent that plans, waits for and reads a run spends hundreds of tokens, not the run's output.
 * Counts come from runProgress, the one done/total every view shows.
 */
import * as path from 'node:path';
import {
  DEFAULT_PATTERN, fmtTokens, PLANNER_ROLE, runProgress, trustNotes, type AgentRecord, type ChangeSet, type LedgerSnapshot,
} from '../engine';
import { plural } from '../shared/words';
import { money } from '../cli/report';

const agentsOf = (s: LedgerSnapshot): AgentRecord[] => s.agents.filter((a) => a.role !== PLANNER_ROLE);

/** "3 workers, 1 coordinator" for these agents, roles in the order they first appear. */
function roleCounts(agents: readonly AgentRecord[]): string {
  const by = new Map<string, number>();
  for (const a of agents) by.set(a.role, (by.get(a.role) ?? 0) + 1);
  return [...by].map(([role, n]) => plural(n, role)).join(', ');
}

function tierCounts(agents: readonly AgentRecord[]): string {
  const by = new Map<string, number>();
  for (const a of agents) by.set(a.tier, (by.get(a.tier) ?? 0) + 1);
  return [...by].map(([tier, n]) => `${tier} ${n}`).join(', ');
}

export function estimateLine(s: LedgerSnapshot): string {
  const e = s.estimate;
  if (!e) return 'Estimate: none.';
  const range = `$${e.costLowUsd.toFixed(2)}–$${e.costHighUsd.toFixed(2)}`;
  return s.simulated
    ? `Estimate: ${fmtTokens(e.tokensLow)}–${fmtTokens(e.tokensHigh)} tokens; ${range} if run for real (simulated: nothing is spent).`
    : `Estimate: ${fmtTokens(e.tokensLow)}–${fmtTokens(e.tokensHigh)} tokens, ${range}.`;
}

/** The plan, compact: pattern and reason, one line per group, totals by role and tier, the estimate. */
export function planText(s: LedgerSnapshot): string {
  const agents = agentsOf(s);
  const lines = [`Pattern: ${s.pattern ?? DEFAULT_PATTERN}${s.patternReason ? ` — ${s.patternReason}` : ''}`];
  for (const g of s.groups ?? []) {
    const own = agents.filter((a) => a.domain === g.id);
    lines.push(`  ${g.id} ${g.label}: ${roleCounts(own)} (${tierCounts(own)})`);
  }
  const loose = agents.filter((a) => a.domain === null);
  if (loose.length) lines.push(`  run-level: ${roleCounts(loose)}`);
  lines.push(`Agents: ${agents.length} (${tierCounts(agents)}).`, estimateLine(s));
  for (const note of trustNotes(s)) lines.push(`Note: ${note}`);
  return lines.join('\n');
}

/** The answer of plan_task. */
export function plannedText(s: LedgerSnapshot): string {
  return [
    `Run ${s.runId} planned; it waits for approval and nothing runs before it.`,
    planText(s),
    'Next: approve_run (the user is asked to confirm) or decline_run.',
  ].join('\n');
}

/** One line: status, done/total, running, failed, spend, gaps. */
export function statusLine(s: LedgerSnapshot): string {
  const p = runProgress(s.agents);
  return `Run ${s.runId}: ${s.status} · ${p.done}/${p.total} done · ${p.active} running · ${p.failed} failed · `
    + `${money(s.totals.costUsd, s.simulated, 2)} · ${plural(s.gaps.length, 'gap')}`;
}

/** The answer of run_status: the line, done/total by group, gaps by name, what to do next. */
export function statusText(s: LedgerSnapshot): string {
  const lines = [statusLine(s)];
  if (s.reason) lines.push(`Reason: ${s.reason}`);
  const groups = (s.groups ?? []).map((g) => {
    const p = runProgress(s.agents.filter((a) => a.domain === g.id));
    return `${g.id} ${p.done}/${p.total}`;
  });
  if (groups.length) lines.push(`Groups: ${groups.join(' · ')}`);
  if (s.gaps.length) lines.push(`Gaps: ${s.gaps.slice(0, 5).map((g) => `${g.agentId} (${g.reason})`).join('; ')}${s.gaps.length > 5 ? ' …' : ''}`);
  lines.push(nextStep(s));
  return lines.join('\n');
}

function nextStep(s: LedgerSnapshot): string {
  switch (s.status) {
    case 'awaiting-approval': return 'Next: approve_run or decline_run.';
    case 'running': case 'planning': return 'Next: run_status with waitSeconds to sleep until it ends.';
    case 'interrupted': return `The process executing it ended. The user can resume it: orchestrate resume ${s.runId}, or Resume Run in VS Code's Ledger.`;
    case 'declined': return 'Nothing ran. Plan again with plan_task.';
    default: return 'Next: run_result.';
  }
}

/** The answer of list_runs: one line a run, newest first. */
export function listText(runs: ReadonlyArray<LedgerSnapshot & { foreign?: boolean }>, more: number): string {
  if (!runs.length) return 'No runs in this workspace yet. Start one with plan_task.';
  const lines = runs.map((s) => {
    const p = runProgress(s.agents);
    const task = s.task.split('\n', 1)[0];
    return `${s.runId} ${s.status} ${p.done}/${p.total} ${money(s.totals.costUsd, s.simulated, 2)}${s.startedBy ? ` [${s.startedBy}]` : ''}${s.foreign ? ' [foreign: not created on this machine]' : ''} ${task.length > 80 ? `${task.slice(0, 79)}…` : task}`;
  });
  if (more > 0) lines.push(`(${plural(more, 'older run')} not shown)`);
  return lines.join('\n');
}

/** A build run's change: a line a file with its +/- counts, and its state. */
export function changesText(cs: ChangeSet): string {
  const added = cs.files.reduce((n, f) => n + f.added, 0);
  const removed = cs.files.reduce((n, f) => n + f.removed, 0);
  const lines = [`Changes (${cs.state}): ${plural(cs.files.length, 'file')}, +${added} -${removed}; nothing is in the working tree before apply_changes.`];
  const applied = new Set(cs.appliedFiles ?? []);
  for (const f of cs.files) lines.push(`  ${f.status} +${f.added} -${f.removed} ${f.path}${applied.has(f.path) ? ' (applied)' : ''}`);
  return lines.join('\n');
}

/** Text cut to about `maxTokens` tokens (4 characters a token), saying where the rest is. */
export function capped(text: string, maxTokens: number, where: string): string {
  const max = maxTokens * 4;
  if (text.length <= max) return text;
  return `${text.slice(0, max)}\n… (cut at about ${fmtTokens(maxTokens)} tokens; the whole file is ${where})`;
}

/** A run-relative path as the user finds it: workspace-relative, forward slashes. */
export function shown(workspace: string, abs: string): string {
  return path.relative(workspace, abs).split(path.sep).join('/');
}
