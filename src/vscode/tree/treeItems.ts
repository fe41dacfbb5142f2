/**
 * Maps ledger state to TreeItems. Pure: given a snapshot and a clock it returns the same item,
 * which is what the unit tests check for every status.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { plural, startedVia } from '../../shared/words';
import { DEFAULT_PATTERN, isWaitingApproval, type AgentGroup, type AgentRecord, type AgentStatus, type AnyPlan, type LedgerSnapshot, type ListedRun, type RunStatus } from '../../engine';
import { waitsForApproval } from '../runs/approvals';
import { groupAgents, groupLabel, isInFlight, PAGE_SIZE, patternOf, plannerOf, shapeLine, shownStatus, startedByOf, viewOf, type ShownStatus } from '../runs/runShape';
import { elapsedMs, formatDuration, formatSpend, formatTokens, totalTokens, truncate } from '../format';
import { agentRow, groupProgressText, rowCost, runProgressLine, runRow } from './ledgerRows';
import { offersFindings } from '../commands/findingsOffer';
import { batchAnswered, batchProgress, batchStateWord, batchTotal, countsText, type AgentBatchState } from '../runs/batchView';
import type { CatalogNode } from '../workflows/catalogItems';

/** Nodes of a run and everything below it: each carries its run's id. */
export type RunNode =
  | { kind: 'run'; runId: string }
  | { kind: 'plan'; runId: string }
  | { kind: 'group'; runId: string; groupId: string }
  /** Agents `page * PAGE_SIZE …` of a group too big to list at once. */
  | { kind: 'page'; runId: string; groupId: string; page: number }
  | { kind: 'agent'; runId: string; agentId: string }
  /** A build run's proposed change, and one file of it (`path` is repository-relative). */
  | { kind: 'changes'; runId: string }
  | { kind: 'changeFile'; runId: string; path: string };

/** Everything the Ledger shows: the runs, then the Workflows and Agents nodes, which belong to no run. */
export type LedgerNode = RunNode | CatalogNode;

/** The run a node belongs to; undefined for the Workflows and Agents nodes (commands then ask which run). */
export function runIdOf(node: LedgerNode | undefined): string | undefined {
  return node && 'runId' in node ? node.runId : undefined;
}

export const OPEN_AGENT_COMMAND = 'orchestration.openAgentOutput';
/** Reveals the Summary view on a run (the status bar's click); hidden from the palette. */
export const SHOW_RUN_COMMAND = 'orchestration.showRun';

const AGENT_ICONS: Record<ShownStatus, [string, string | undefined]> = {
  pending: ['circle-outline', undefined],
  queued: ['clock', undefined],
  running: ['loading~spin', undefined],
  verifying: ['sync~spin', undefined],
  retrying: ['debug-restart', 'charts.yellow'],
  completed: ['pass', 'testing.iconPassed'],
  failed: ['error', 'testing.iconFailed'],
  cancelled: ['circle-slash', 'disabledForeground'],
  skipped: ['debug-step-over', 'disabledForeground'],
  interrupted: ['debug-disconnect', 'list.warningForeground'],
};

const RUN_ICONS: Record<RunStatus, [string, string | undefined]> = {
  planning: ['loading~spin', undefined],
  'awaiting-approval': ['question', 'charts.blue'],
  running: ['loading~spin', undefined],
  completed: ['pass', 'testing.iconPassed'],
  partial: ['warning', 'list.warningForeground'],
  failed: ['error', 'testing.iconFailed'],
  cancelled: ['circle-slash', 'disabledForeground'],
  interrupted: ['debug-disconnect', 'list.warningForeground'],
  declined: ['close', 'disabledForeground'],
};

function icon([id, color]: [string, string | undefined]): vscode.ThemeIcon {
  return color ? new vscode.ThemeIcon(id, new vscode.ThemeColor(color)) : new vscode.ThemeIcon(id);
}

export function agentIcon(status: ShownStatus): vscode.ThemeIcon {
  return icon(AGENT_ICONS[status]);
}

export function runIcon(status: RunStatus): vscode.ThemeIcon {
  return icon(RUN_ICONS[status]);
}

/** Statuses whose output file may not exist yet: clicking says so instead of opening nothing. */
export const NOT_STARTED: ReadonlySet<AgentStatus> = new Set(['pending', 'queued']);

export function agentItem(
  a: AgentRecord, runId: string, now: number, runStatus: RunStatus = 'running', simulated = false, pattern: string = DEFAULT_PATTERN,
  batch: AgentBatchState = { kind: 'none' },
): vscode.TreeItem {
  const status = shownStatus(a, runStatus);
  const row = agentRow(a, now, runStatus, simulated, pattern, batch);
  const item = new vscode.TreeItem(row.label, vscode.TreeItemCollapsibleState.None);
  item.id = `${runId}/${a.id}`;
  // Waiting in a batch is not work in this window: a still cloud, not a spinner that turns for hours.
  // A gate waiting for the user is not done: the plan's awaiting-approval mark, not a pass.
  item.iconPath = batch.kind === 'waiting' && status !== 'interrupted' ? new vscode.ThemeIcon('cloud', new vscode.ThemeColor('charts.blue'))
    : isWaitingApproval(a) ? runIcon('awaiting-approval') : agentIcon(status);
  item.description = row.description;
  item.contextValue = `agent.${a.role}.${status}`;
  item.tooltip = agentTooltip(a, simulated);
  appendBatch(item.tooltip, batch, status === 'interrupted');
  if (status === 'interrupted' && batch.kind !== 'waiting') item.tooltip.appendMarkdown('\n\nCut off when its window closed; Resume runs it again.');
  if (isWaitingApproval(a)) {
    item.tooltip.appendMarkdown('\n\n**Waiting for your approval** of stage ').appendText(a.domain ?? '')
      .appendMarkdown(': Approve Stage (on the run, or in the Summary) approves it and resumes the run.');
  }
  item.command = { command: OPEN_AGENT_COMMAND, title: 'Open Output', arguments: [runId, a.id] };
  // No resourceUri: its file decoration (a ✓ badge repeating the icon) would take the room the
  // row needs for its status and cost at the default width. The Explorer still shows the badge.
  return item;
}

/** The agent's Message Batch in its tooltip: the whole id, the batch's state and counts, what becomes of it. */
function appendBatch(md: vscode.MarkdownString, batch: AgentBatchState, cutOff: boolean): void {
  if (batch.kind === 'none') return;
  if (batch.kind === 'planned') {
    md.appendMarkdown('\n\n**Batch mode:** planned for a Message Batch, not submitted yet: half the realtime price, answered within 24 h.');
    return;
  }
  const b = batch.batch;
  if (!b) {
    md.appendMarkdown('\n\n**Batch mode:** planned for a Message Batch at half the realtime price.');
    return;
  }
  md.appendMarkdown(batch.kind === 'waiting' ? '\n\n**Waiting in batch** ' : '\n\n**Batch** ').appendText(b.id)
    .appendMarkdown(` · ${batchStateWord(b)} · ${batchAnswered(b)} of ${plural(batchTotal(b), 'request')} answered`);
  const counts = countsText(b.counts);
  if (counts) md.appendMarkdown(' (').appendText(counts).appendMarkdown(')');
  md.appendMarkdown(`  \nSubmitted ${new Date(b.submittedAt).toLocaleString()}`);
  for (const note of b.notes) md.appendMarkdown('  \n').appendText(truncate(note, 300));
  if (batch.kind === 'waiting') {
    md.appendMarkdown(cutOff
      ? '\n\nThe window closed while the batch worked; the batch goes on at the API. Resume collects its results and submits nothing again.'
      : '\n\nBatches answer within 24 h at half the realtime price; cost is recorded when the results are collected.');
  }
}

/** Model text goes through appendText, which escapes markdown, so a tooltip cannot carry links or HTML. */
export function agentTooltip(a: AgentRecord, simulated = false): vscode.MarkdownString {
  const md = new vscode.MarkdownString('', false);
  md.appendMarkdown(`**${a.id}** · ${a.role}${a.domain ? ` · group ${a.domain}` : ''} · ${a.status}\n\n`);
  md.appendText(a.task).appendMarkdown('\n\n');
  if (a.agentDefinition) {
    md.appendMarkdown('Runs as your agent definition **').appendText(`@${a.agentDefinition}`).appendMarkdown('**');
    // What the definition asked for and did not get (a shell, writes on a read-only role), as the plan said.
    for (const note of a.agentNotes ?? []) md.appendMarkdown('  \n').appendText(note);
    md.appendMarkdown('\n\n');
  }
  md.appendMarkdown('Model: ').appendText(a.modelRequested).appendMarkdown(' requested, ');
  if (a.modelReported === null) md.appendMarkdown('none reported yet  \n');
  else if (a.modelReported === a.modelRequested) md.appendMarkdown('the same reported  \n');
  else md.appendText(a.modelReported).appendMarkdown(' reported  \n');
  md.appendMarkdown(`Attempts: ${a.attempts} · requests: ${a.requests} · tool calls: ${a.toolCalls}  \n`);
  const u = a.usage;
  md.appendMarkdown(`Tokens: in ${formatTokens(u.input)} · out ${formatTokens(u.output)} · cache read ${formatTokens(u.cacheRead)} · cache write ${formatTokens(u.cacheWrite)} · ${formatSpend(a.costUsd, simulated)}${simulated ? ' (simulated: nothing was spent)' : ''}  \n`);
  md.appendMarkdown('Output: ').appendText(a.outputFile).appendMarkdown('\n\n');
  if (a.error) md.appendMarkdown('**Error:** ').appendText(a.error).appendMarkdown('\n\n');
  if (a.returned) md.appendMarkdown('**Returned:** ').appendText(truncate(a.returned, 600));
  return md;
}

export function runItem(s: ListedRun, now: number): vscode.TreeItem {
  const row = runRow(s, now);
  const item = new vscode.TreeItem(row.label, vscode.TreeItemCollapsibleState.Collapsed);
  item.id = s.runId;
  item.iconPath = runIcon(s.status);
  item.description = row.description;
  // `.findings`: a finished audit whose findings Fix Findings offers to fix. `.approval`: a stage
  // waits for the user's approval (Approve Stage); last, so `run.<status>(.findings)?` still leads.
  item.contextValue = `run.${s.status}${offersFindings(s) ? '.findings' : ''}${waitsForApproval(s) ? '.approval' : ''}`;
  const md = new vscode.MarkdownString('', false);
  md.appendMarkdown(`**Run ${s.runId}** · ${s.status}${s.simulated ? ' · simulated' : ''}\n\n`).appendText(s.task).appendMarkdown('\n\n');
  if (s.reason) md.appendMarkdown('Reason: ').appendText(s.reason).appendMarkdown('\n\n');
  md.appendMarkdown(`Started ${new Date(s.createdAt).toLocaleString()}`);
  const by = startedByOf(s);
  if (by) md.appendMarkdown(' ').appendText(startedVia(by));
  md.appendMarkdown('  \n');
  md.appendMarkdown(`${runProgressLine(s)} · ${formatTokens(tokensOf(s))} tokens · ${formatSpend(s.totals.costUsd, s.simulated)}`);
  if (s.gaps.length) md.appendMarkdown(` · ${plural(s.gaps.length, 'gap')}`);
  const batches = batchProgress(s);
  if (batches.inFlight.length) {
    md.appendMarkdown(`\n\n**${plural(batches.inFlight.length, 'Message Batch', 'Message Batches')} in flight:** ${batches.answered} of ${plural(batches.total, 'request')} answered`);
    for (const b of batches.inFlight) {
      md.appendMarkdown('  \n').appendText(b.id).appendMarkdown(` · ${batchStateWord(b)}`);
      const counts = countsText(b.counts);
      if (counts) md.appendMarkdown(' · ').appendText(counts);
    }
    if (s.status === 'interrupted') md.appendMarkdown('\n\nThe batches go on at the API while this window is closed; Resume collects their results and submits nothing again.');
  }
  if (s.simulated) md.appendMarkdown('\n\nSimulated: nothing was spent. The cost is what the same tokens would cost at the configured prices.');
  if (s.status === 'declined') md.appendMarkdown('\n\nThe plan was declined at approval, so nothing ran. Orchestrate Task plans again.');
  if (s.status === 'interrupted') md.appendMarkdown('\n\nThis run was cut off (window closed or process ended). Resume re-runs only unfinished agents.');
  if (s.origin?.local === false) {
    md.appendMarkdown('\n\n**Not created on this machine.** ').appendText(s.origin.reason).appendMarkdown(' Resume and Retry warn before running it.');
  }
  item.tooltip = md;
  return item;
}

function tokensOf(s: LedgerSnapshot): number {
  const u = s.totals.usage;
  return u.input + u.output + u.cacheRead + u.cacheWrite;
}

/**
 * The Plan node carries the planner's own record: its status as the icon while it plans or when it
 * failed, and what planning cost in the description and tooltip.
 */
export function planItem(s: LedgerSnapshot, runDir: string | undefined, plan?: AnyPlan): vscode.TreeItem {
  const pattern = patternOf(s, plan);
  const planner = plannerOf(s);
  const item = new vscode.TreeItem('Plan', vscode.TreeItemCollapsibleState.None);
  item.id = `${s.runId}/plan`;
  const parts = [pattern, shapeLine(s, plan)];
  if (planner && planner.status !== 'completed' && planner.status !== 'pending') parts.push(`planner ${shownStatus(planner, s.status)}`);
  if (planner && planner.costUsd + totalTokens(planner.usage) > 0) parts.push(`planner ${formatTokens(totalTokens(planner.usage))} tok · ${rowCost(planner.costUsd, s.simulated)}`);
  item.description = parts.join(' · ');
  const plannerShown = planner ? shownStatus(planner, s.status) : null;
  item.iconPath = plannerShown && (isInFlight(planner!, s.status) || plannerShown === 'failed' || plannerShown === 'interrupted')
    ? agentIcon(plannerShown) : new vscode.ThemeIcon('checklist');
  item.contextValue = 'plan';
  const md = new vscode.MarkdownString('', false);
  md.appendMarkdown(`**Plan** · pattern \`${pattern}\`\n\n`);
  const reason = s.patternReason ?? plan?.reason;
  if (reason) md.appendMarkdown('Why this pattern: ').appendText(reason).appendMarkdown('\n\n');
  if (planner) {
    const u = planner.usage;
    md.appendMarkdown(`Planner: ${planner.status} · model `).appendText(planner.modelReported ?? planner.modelRequested)
      .appendMarkdown(`  \nTokens: in ${formatTokens(u.input)} · out ${formatTokens(u.output)} · cache read ${formatTokens(u.cacheRead)} · cache write ${formatTokens(u.cacheWrite)} · ${formatSpend(planner.costUsd, s.simulated)}`);
    const ms = elapsedMs(planner.startedAt, planner.endedAt, Date.parse(s.updatedAt));
    if (ms !== null) md.appendMarkdown(` · ${formatDuration(ms)}`);
    if (planner.error) md.appendMarkdown('\n\n**Error:** ').appendText(planner.error);
  }
  item.tooltip = md;
  if (runDir) {
    const uri = vscode.Uri.file(path.join(runDir, 'plan.md'));
    item.resourceUri = uri;
    item.command = { command: 'vscode.open', title: 'Open Plan', arguments: [uri] };
  }
  return item;
}

function progressItem(item: vscode.TreeItem, agents: readonly AgentRecord[], runStatus: RunStatus, idle: string): void {
  const { text, progress: p } = groupProgressText(agents);
  item.description = text;
  item.iconPath = agents.some((a) => isInFlight(a, runStatus)) ? new vscode.ThemeIcon('loading~spin')
    : p.failed ? agentIcon('failed')
    : agents.some(isWaitingApproval) ? runIcon('awaiting-approval')
    : p.done === p.total && p.total > 0 ? agentIcon('completed')
    : p.skipped === p.total && p.total > 0 ? agentIcon('skipped')
    : new vscode.ThemeIcon(idle);
}

/**
 * A group of the run's pattern (a domain, a stage, a reduce level, a round) with done/total.
 * `brief` is the fan-out plan's domain brief, when known. A group too big to list at once says
 * how its agents are paged.
 */
export function groupItem(s: LedgerSnapshot, group: AgentGroup, index: number, brief?: string, plan?: AnyPlan): vscode.TreeItem {
  const agents = groupAgents(s, group.id);
  const pattern = patternOf(s, plan);
  const item = new vscode.TreeItem(groupLabel(pattern, group, index), vscode.TreeItemCollapsibleState.Collapsed);
  item.id = `${s.runId}/group/${group.id}`;
  progressItem(item, agents, s.status, 'folder');
  // The pattern declares which group commands apply (Add Worker: where it names the leaf to add).
  item.contextValue = `group.${pattern}${viewOf(pattern).addWorker ? '.addWorker' : ''}`;
  const md = new vscode.MarkdownString('', false).appendMarkdown('**').appendText(group.label).appendMarkdown('**');
  if (brief) md.appendMarkdown('\n\n').appendText(brief);
  if (agents.length > PAGE_SIZE) md.appendMarkdown(`\n\n${agents.length} agents, listed ${PAGE_SIZE} at a time.`);
  item.tooltip = md;
  return item;
}

/** One page of a big group's agents: "m51 – m100" with its own done/total. */
export function pageItem(s: LedgerSnapshot, groupId: string, page: number): vscode.TreeItem {
  const agents = groupAgents(s, groupId).slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE);
  const first = agents[0]?.id ?? '';
  const last = agents[agents.length - 1]?.id ?? '';
  const item = new vscode.TreeItem(first === last ? first : `${first} – ${last}`, vscode.TreeItemCollapsibleState.Collapsed);
  item.id = `${s.runId}/group/${groupId}/page/${page}`;
  progressItem(item, agents, s.status, 'list-flat');
  item.contextValue = 'page';
  item.tooltip = `Agents ${page * PAGE_SIZE + 1}–${page * PAGE_SIZE + agents.length} of group ${groupId}`;
  return item;
}
