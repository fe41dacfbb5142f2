/** Renders one run's RunView as DOM. Every string from the host goes in as text or sanitised markdown. */
import type { AgentView, ChangesView, GroupView, MapReduceCard, PanelCard, PatternCard, PipelineCard, PipelineView, ProgressView, RunView, SupervisorCard, TotalsView } from '../src/shared/protocol';
import { noun, plural } from '../src/shared/words';
import { h, section } from './dom';
import { renderMarkdown } from './markdownDom';
import { runTitle } from './runTitle';
import { renderPipelineStatus } from './pipeline';
import { renderNotes } from './trustNotes';
import { batchMark, button, definitionMark, divider, grid, link, spinner, tag } from './toolkit';

export interface Actions {
  approve(runId: string): void;
  decline(runId: string): void;
  cancel(runId: string): void;
  resume(runId: string): void;
  retryFailed(runId: string): void;
  fixFindings(runId: string): void;
  openFile(runId: string, path: string): void;
  reviewPlan(runId: string): void;
  openDiff(runId: string, path: string): void;
  applyChanges(runId: string): void;
  discardChanges(runId: string): void;
  shipToBranch(runId: string): void;
  approveStage(runId: string, stage: string): void;
}

const GLYPH: Record<string, string> = {
  pending: '○', queued: '◔', running: '◐', verifying: '◑', retrying: '↻',
  completed: '✓', failed: '✗', cancelled: '⊘', skipped: '↷', interrupted: '⌁',
};

/** A link to an agent's file only when the file exists; otherwise the same text, plain. */
function fileLink(text: string, file: string, written: boolean, open: (p: string) => void, title?: string): HTMLElement {
  if (written) {
    const a = link(text, () => open(file), title);
    a.dataset.file = file;
    return a;
  }
  const span = h('span', text, 'unwritten');
  span.title = `${file} has not been written`;
  return span;
}

/** A simulated run spent nothing; its money is what the same tokens would cost, said as such. */
const spend = (usdText: string, simulated: boolean): string => (simulated ? `would cost ${usdText}` : usdText);

const tokens = (n: number): string => (n < 1000 ? String(n) : n < 1e6 ? `${(n / 1000).toFixed(1)}k` : `${(n / 1e6).toFixed(2)}M`);
const usd = (n: number): string => (n === 0 ? '$0' : n < 0.01 ? `$${n.toFixed(4)}` : `$${n.toFixed(2)}`);
const duration = (ms: number): string => (ms < 60_000 ? `${Math.round(ms / 1000)} s` : `${Math.floor(ms / 60_000)}m ${Math.round((ms % 60_000) / 1000)}s`);

export function renderEmpty(): Node {
  const d = h('div', undefined, 'empty');
  d.append(h('p', 'No run to show yet.'), h('p', 'Run “Orchestration: Orchestrate Task” from the Command Palette and pick a pattern (or Auto). The plan appears here for approval, then the pattern’s progress, each group’s findings and the final summary.', 'muted'));
  return d;
}

function pipelineUnderway(p: PipelineView): boolean {
  return (!!p.integration && p.integration.state !== 'waiting') || p.harden?.state === 'running' || p.harden?.state === 'done' || p.ship.state !== 'waiting';
}

export function renderRun(run: RunView, act: Actions): Node {
  const root = document.createDocumentFragment();
  const open = (p: string) => act.openFile(run.runId, p);

  const header = h('header', undefined, 'run-header');
  const extras: Node[] = [];
  if (run.status === 'running' || run.status === 'planning') extras.push(spinner());
  if (run.simulated) extras.push(tag('simulated', 'simulated'));
  header.append(...runTitle(run, run.status, extras));
  header.append(renderPattern(run));
  if (run.notes.length) header.append(renderNotes(run.notes));
  if (run.reason) header.append(h('p', run.reason, 'reason'));
  const buttons = h('div', undefined, 'actions');
  if (run.actions.approveStage) renderApprovals(run, header, buttons, act);
  if (run.actions.reviewDraft) {
    // One draft, one Approve: the edits live in the plan editor, so approval happens there.
    const note = h('p', 'Edited in the plan editor — review and approve the edited plan there.', 'draft-note');
    note.id = 'draft-note';
    header.append(note);
    buttons.append(button('Review Edited Plan', () => act.reviewPlan(run.runId), 'primary', 'review-draft'));
  }
  if (run.actions.approve) buttons.append(button('Approve', () => act.approve(run.runId), 'primary', 'approve'));
  if (run.actions.decline) buttons.append(button('Decline', () => act.decline(run.runId), 'secondary', 'decline'));
  if (run.actions.cancel) buttons.append(button('Cancel Run', () => act.cancel(run.runId), 'secondary', 'cancel'));
  if (run.actions.resume) buttons.append(button('Resume', () => act.resume(run.runId), 'secondary', 'resume'));
  if (run.actions.retry) buttons.append(button('Retry Failed Agents', () => act.retryFailed(run.runId), 'secondary', 'retry'));
  if (run.actions.fixFindings) buttons.append(button('Fix Findings', () => act.fixFindings(run.runId), 'secondary', 'fix-findings'));
  if (buttons.childElementCount) header.append(buttons);
  root.append(header);
  // What a build proposes is what the user acts on next: right under the title, above the fold.
  if (run.changes) root.append(renderChanges(run, run.changes, act));
  // Whether the change is tested, hardened and shippable belongs next to it, once there is
  // something to say: the sidebar is narrow, and "runs later" three times is noise (the dashboard says it).
  if (run.pipeline && run.status !== 'awaiting-approval' && run.status !== 'declined' && pipelineUnderway(run.pipeline)) root.append(renderPipelineStatus(run.pipeline, open));

  // A declined plan shows what was turned down and nothing else: none of its agents ever ran.
  if (run.status === 'awaiting-approval' || run.status === 'declined') {
    root.append(renderPlan(run, open));
  } else {
    if (run.card) root.append(renderCard(run.card, run.pattern, open));
    // A handoffs card already lists every stage with its status; one card per stage would repeat it.
    if (run.groups.length && run.card?.kind !== 'handoffs') {
      root.append(section(run.groupsTitle, 'groups', ...run.groups.map((g) => renderGroup(g, open))));
    }
    if (run.others.length) {
      const list = h('ul', undefined, 'agents');
      list.append(...run.others.map((a) => agentLine(a, open)));
      root.append(section('Run-level agents', 'others', list));
    }
    if (run.final) root.append(renderFinal(run, run.final, open));
  }
  if (run.gaps.length) root.append(renderGaps(run, open));
  root.append(divider(), renderTotals(run.totals, run.progress, run.simulated));
  return root;
}

/**
 * "Waiting for your approval: stage X — what to look at", one line per waiting stage, and an
 * Approve Stage button each (the first is #approve-stage); the host asks before it approves.
 */
function renderApprovals(run: RunView, header: HTMLElement, buttons: HTMLElement, act: Actions): void {
  run.approvals.forEach((w, i) => {
    const line = h('p', `Waiting for your approval: stage ${w.stage}${w.message ? ` — ${w.message}` : ''}`, 'approval-wait');
    line.dataset.stage = w.stage;
    if (i === 0) line.id = 'approval-wait';
    header.append(line);
    const label = run.approvals.length > 1 ? `Approve Stage ${w.stage}` : 'Approve Stage';
    const b = button(label, () => act.approveStage(run.runId, w.stage), 'primary', i === 0 ? 'approve-stage' : `approve-stage-${i + 1}`);
    b.dataset.stage = w.stage;
    buttons.append(b);
  });
}

const CHANGE_MARK: Record<ChangesView['files'][number]['status'], string> = { added: 'A', modified: 'M', deleted: 'D', renamed: 'R' };

/** A build's proposed change: its files (each opens VS Code's diff editor), the line counts, Apply and Discard. */
function renderChanges(run: RunView, c: ChangesView, act: Actions): Node {
  const card = h('article', undefined, `card changes-card changes-${c.state}`);
  card.id = 'changes';
  const head = h('div', undefined, 'card-head');
  const title = c.state === 'applied' ? 'Changes applied' : c.state === 'discarded' ? 'Changes discarded' : 'Proposed changes';
  head.append(h('h4', title), h('span', `${plural(c.fileCount, 'file')} · +${c.added} −${c.removed}`, 'change-count'));
  card.append(head);
  const note = c.state === 'applied' ? 'Written to your working tree (not committed).'
    : c.state === 'discarded' ? 'Dropped: nothing was written to your working tree.'
    : c.fileCount === 0 ? 'No builder\'s change was approved, so there is nothing to apply.'
    : 'Nothing is written to your working tree until you apply. Click a file to see its diff.';
  card.append(h('p', note, 'muted change-note'));
  if (c.files.length) {
    const list = h('ul', undefined, 'change-files');
    for (const f of c.files) {
      const li = h('li', undefined, `change-file change-${f.status}`);
      const name = link(f.path, () => act.openDiff(run.runId, f.path), `${f.path}: ${f.status}; open the diff`);
      name.dataset.diff = f.path;
      li.append(h('span', CHANGE_MARK[f.status], 'change-mark'), name, h('span', f.binary ? 'binary' : `+${f.added} −${f.removed}`, 'muted change-lines'));
      list.append(li);
    }
    if (c.more) list.append(h('li', `… and ${plural(c.more, 'more file')} (the Ledger lists them all)`, 'muted'));
    card.append(list);
  }
  if (c.conflicts.length) {
    card.append(h('p', `Left out after a merge conflict: ${c.conflicts.map((x) => x.agentId).join(', ')}.`, 'reason'));
  }
  if (c.canAct) {
    const buttons = h('div', undefined, 'actions');
    buttons.append(
      button('Apply Changes', () => act.applyChanges(run.runId), 'primary', 'apply-changes'),
      button('Discard', () => act.discardChanges(run.runId), 'secondary', 'discard-changes'),
      button('Ship to Branch', () => act.shipToBranch(run.runId), 'secondary', 'ship-to-branch'),
    );
    card.append(buttons);
  }
  return card;
}

function renderPlan(run: RunView, open: (p: string) => void): Node {
  const parts: Node[] = [];
  if (run.planSummary) {
    const summary = h('div', undefined, 'markdown');
    summary.append(renderMarkdown(run.planSummary, open));
    parts.push(summary);
  }
  if (run.estimate) {
    const e = run.estimate;
    const range = `${usd(e.costLowUsd)}–${usd(e.costHighUsd)}`;
    // With an edited draft in the plan editor, this is the planned plan's estimate; the editor shows the draft's.
    const label = run.actions.reviewDraft ? 'Estimate as planned, before your edits' : 'Estimate';
    const est = h('p', `${label}: ${tokens(e.tokensLow)}–${tokens(e.tokensHigh)} tokens, ${run.simulated ? `${range} if run for real` : range}`, 'estimate');
    est.id = 'estimate';
    parts.push(est);
    if (run.batched) {
      const note = h('p', `${plural(run.batched, 'agent')} marked "batch" ${noun(run.batched, 'goes', 'go')} through the Message Batches API, priced in the estimate at half the realtime price and answered asynchronously, within 24 h.`, 'muted batch-note');
      note.id = 'batch-note';
      parts.push(note);
    }
    if (run.simulated) parts.push(h('p', 'Simulated provider: nothing is spent. The range is what the same run would cost on the API at the configured prices.', 'muted simulated-note'));
  }
  if (run.planner) parts.push(h('p', `Planned by ${run.planner.model}: ${tokens(run.planner.tokens)} tokens, ${spend(usd(run.planner.costUsd), run.simulated)}.`, 'muted planner-line'));
  if (run.card?.kind === 'progress') parts.push(renderCard(run.card, run.pattern, open));
  // Three columns, so the plan reads in the sidebar without scrolling sideways: who (and in which
  // group), what, and on which model. The agent's id links to its file once it exists.
  const rows: Array<Array<Node | string>> = [];
  const who = (group: string, id: Node | string) => {
    const cell = h('div', undefined, 'plan-who');
    cell.append(id, h('div', group, 'muted plan-group'));
    return cell;
  };
  const model = (a: AgentView) => {
    const cell = h('div', undefined, 'plan-model');
    if (a.byEngine) cell.append(h('div', 'engine'), h('div', 'no model', 'muted'));
    else cell.append(h('div', a.tier), h('div', a.model, 'muted'));
    if (a.batch) cell.append(batchMark());
    if (a.agentDefinition) cell.append(definitionMark(a.agentDefinition, a.agentNotes));
    return cell;
  };
  const row = (group: string, a: AgentView) => rows.push([who(group, fileLink(a.id, a.outputFile, a.written, open, a.outputFile)), a.task, model(a)]);
  for (const g of run.groups) {
    for (const a of [...g.agents, ...(g.coordinator ? [g.coordinator] : [])]) row(g.name, a);
    if (g.more) rows.push([who(g.name, '…'), `${plural(g.more, 'more agent')} of this group, listed in plan.md`, '']);
  }
  for (const a of run.others) row('run', a);
  if (run.final) row('run', run.final);
  const table = grid(['Agent', 'Task', 'Model'], rows, 'minmax(72px, 1fr) minmax(150px, 3fr) minmax(96px, 1.3fr)');
  table.id = 'plan-table';
  const declined = run.status === 'declined';
  parts.push(table, h('p', declined
    ? 'You declined this plan, so none of these agents ran. Orchestrate Task plans the work again.'
    : 'Approve runs every agent above under the configured caps; Decline records the plan as declined and runs nothing. Nothing has run yet.', 'muted'));
  return section(declined ? 'Declined plan' : 'Plan', 'plan', ...parts);
}

function agentLine(a: AgentView, open: (p: string) => void): HTMLElement {
  const li = h('li', undefined, `agent status-${a.status}`);
  li.append(h('span', GLYPH[a.status] ?? '•', 'glyph'), fileLink(a.id, a.outputFile, a.written, open, a.outputFile), h('span', ` ${a.task}`, 'agent-task'));
  li.title = a.error ?? a.returned ?? a.status;
  return li;
}

/** The pattern and, when the planner gave one, why it chose it. */
function renderPattern(run: RunView): Node {
  const p = h('p', undefined, 'pattern-line');
  p.id = 'pattern';
  p.append(tag(run.pattern, 'pattern-tag'));
  if (run.patternReason) p.append(h('span', ` ${run.patternReason}`, 'pattern-reason'));
  return p;
}

/** A group's agents; a long list folds away so a map of hundreds of partitions stays one line until asked. */
function renderGroup(g: GroupView, open: (p: string) => void): Node {
  const card = h('article', undefined, 'card');
  card.dataset.group = g.id;
  const head = h('div', undefined, 'card-head');
  head.append(h('h4', g.name), tag(`${g.done}/${g.total}`));
  card.append(head);
  const c = g.coordinator;
  if (c) {
    const body = h('div', undefined, 'markdown coordinator');
    if (c.returned) body.append(renderMarkdown(c.returned, open));
    else body.append(h('p', c.status === 'failed' ? `Coordinator failed: ${c.error ?? 'no reason recorded'}` : `Coordinator ${c.status}.`, 'muted'));
    card.append(body);
    if (c.written) card.append(fileLink(`Open synthesis (${c.outputFile})`, c.outputFile, true, open));
  }
  const list = h('ul', undefined, 'agents');
  list.append(...g.agents.map((a) => agentLine(a, open)));
  if (g.more) list.append(h('li', `… and ${g.more} more (the Ledger lists them ${g.agents.length} at a time)`, 'muted'));
  if (g.agents.length + g.more > 12) {
    const fold = document.createElement('details');
    fold.append(h('summary', plural(g.agents.length + g.more, 'agent')), list);
    card.append(fold);
  } else {
    card.append(list);
  }
  return card;
}

/** The pattern's card, as a section whose id is the run's pattern (`#pipeline`, `#panel`): the card is that pattern's own view. */
function renderCard(card: PatternCard, pattern: string, open: (p: string) => void): Node {
  switch (card.kind) {
    case 'handoffs': return renderPipeline(card, pattern, open);
    case 'progress': return renderMapReduce(card, pattern);
    case 'rounds': return renderSupervisor(card, pattern);
    case 'verdicts': return renderPanel(card, pattern, open);
  }
}

function renderPipeline(card: PipelineCard, id: string, open: (p: string) => void): Node {
  const parts: Node[] = [];
  if (card.failed) {
    const skipped = card.skipped.length ? ` The later stages were not run: ${card.skipped.join(', ')}.` : '';
    parts.push(h('p', `Stage “${card.failed}” failed, so the pipeline stopped there.${skipped}`, 'reason pipeline-stop'));
  }
  const list = h('ol', undefined, 'stages');
  for (const st of card.stages) {
    const li = h('li', undefined, `stage status-${st.status}`);
    li.dataset.stage = st.id;
    const head = h('div', undefined, 'stage-head');
    head.append(h('span', GLYPH[st.status] ?? '•', 'glyph'), h('strong', st.name));
    // The glyph already says "done"; only a stage that is not done gets its status spelled out.
    if (st.status !== 'completed') head.append(tag(st.status, `status status-${st.status}`));
    if (st.handoffWritten) head.append(fileLink('handoff', st.handoffFile, true, open, st.handoffFile));
    li.append(head);
    if (st.handoff) {
      const body = h('div', undefined, 'markdown handoff');
      body.append(renderMarkdown(st.handoff, open));
      li.append(body);
    } else {
      const why = st.status === 'failed' ? `Failed: ${st.error ?? 'no reason recorded'}`
        : st.status === 'skipped' ? (st.error ?? 'Skipped: an earlier stage did not complete.')
        : st.status === 'completed' ? 'No handoff summary was found.'
        : `Not handed off yet (${st.status}).`;
      li.append(h('p', why, 'muted handoff'));
    }
    list.append(li);
  }
  parts.push(list);
  return section('Stage handoffs', id, ...parts);
}

function progressRow(dl: HTMLElement, label: string, done: number, total: number, failed: number): void {
  const bar = document.createElement('progress');
  bar.max = Math.max(total, 1);
  bar.value = done;
  const dd = h('dd');
  dd.append(bar, h('span', ` ${done}/${total} done${failed ? ` · ${failed} failed` : ''}`));
  dl.append(h('dt', label), dd);
}

function renderMapReduce(card: MapReduceCard, id: string): Node {
  const dl = h('dl', undefined, 'totals progress');
  progressRow(dl, 'Mappers', card.mappers.done, card.mappers.total, card.mappers.failed);
  for (const l of card.levels) progressRow(dl, `Reduce level ${l.level}`, l.done, l.total, l.failed);
  const parts: Node[] = [dl];
  if (card.selectedFiles !== null) {
    const reasons = card.excludedByReason.map((r) => `${r.count} ${r.reason}`).join(', ');
    parts.push(h('p', `${plural(card.selectedFiles, 'file')} selected; ${card.excluded ? `${card.excluded} excluded (${reasons})` : 'none excluded'}.`, 'selection-line'));
    if (card.excludedSample.length) {
      const list = h('ul', undefined, 'excluded');
      for (const e of card.excludedSample) {
        const li = h('li');
        li.append(h('code', e.path), h('span', ` — ${e.reason}`, 'muted'));
        list.append(li);
      }
      if (card.excluded && card.excluded > card.excludedSample.length) list.append(h('li', `… and ${card.excluded - card.excludedSample.length} more in selection.json`, 'muted'));
      parts.push(list);
    }
  }
  return section('Map-reduce progress', id, ...parts);
}

function table(columns: string[], rows: Array<Array<Node | string>>, id: string): HTMLElement {
  const t = h('table', undefined, 'plain');
  t.id = id;
  const head = h('tr');
  head.append(...columns.map((c) => h('th', c)));
  t.append(head);
  for (const r of rows) {
    const tr = h('tr');
    for (const cell of r) {
      const td = h('td');
      td.append(cell);
      tr.append(td);
    }
    t.append(tr);
  }
  return t;
}

function renderSupervisor(card: SupervisorCard, id: string): Node {
  const rows = card.rounds.map((r) => [
    String(r.round), r.status,
    r.outcome === 'finished' ? 'finished the run' : `${r.spawned} spawned · ${r.workersDone} done`,
    r.promptTokens === null ? '—' : tokens(r.promptTokens),
    r.returnTokens === null ? '—' : tokens(r.returnTokens),
  ]);
  return section('Supervisor rounds', id, table(['Round', 'Status', 'Workers', 'Prompt tokens', 'Returns in'], rows, 'rounds-table'));
}

function renderPanel(card: PanelCard, id: string, open: (p: string) => void): Node {
  const t = card.tally;
  if (!t) return section('Panel verdicts', id, h('p', `${card.experts.done} of ${plural(card.experts.total, card.noun)} answered; the engine's tally appears here once they all have.`, 'muted'));
  const head = h('p', t.line, t.quorumMet ? 'tally-line' : 'tally-line reason');
  const counts = h('p', Object.entries(t.counts).map(([v, n]) => `${v}: ${n}`).join(' · '), 'muted');
  // Three columns, so the table stays readable in a narrow sidebar: who, what they said, why.
  const rows = t.experts.map((e) => {
    const who = h('span');
    who.append(fileLink(e.id, e.file, e.written, open, e.file), h('div', e.perspective, 'muted'));
    const verdict = e.verdict === null ? 'gap' : `${e.verdict}${e.confidence === null ? '' : ` · ${e.confidence.toFixed(2)}`}${e.dissent ? ' · dissent' : ''}`;
    return [who, verdict, e.verdict === null ? (e.gap ?? 'no verdict') : concernList(e.concerns, open)];
  });
  return section('Panel verdicts', id, head, counts, table(['Expert', 'Verdict · confidence', 'Top concerns'], rows, 'verdict-table'));
}

/** An expert's concerns as the markdown list they are (each may hold `code` and links), not a joined blob. */
function concernList(concerns: readonly string[], open: (p: string) => void): Node {
  if (!concerns.length) return document.createTextNode('—');
  const body = h('div', undefined, 'markdown concerns');
  body.append(renderMarkdown(concerns.map((c) => `- ${c.replace(/\s*\n\s*/g, ' ')}`).join('\n'), open));
  return body;
}

function renderFinal(run: RunView, final: AgentView, open: (p: string) => void): Node {
  const body = h('div', undefined, 'markdown final');
  body.id = 'final-summary';
  const text = run.finalSummary ?? final.returned;
  if (text) body.append(renderMarkdown(text, open));
  else body.append(h('p', final.status === 'failed' ? `The final synthesis failed: ${final.error ?? ''}` : `Final synthesis ${final.status}.`, 'muted'));
  return section('Final summary', 'summary-section', body, ...(final.written ? [fileLink(`Open ${final.outputFile}`, final.outputFile, true, open)] : []));
}

function renderGaps(run: RunView, open: (p: string) => void): Node {
  const list = h('ul', undefined, 'gaps');
  for (const g of run.gaps) {
    const li = h('li');
    li.append(fileLink(g.agentId, g.outputFile, g.written, open, g.outputFile), h('span', ` — ${g.reason}`));
    list.append(li);
  }
  return section(`Gaps and failures (${run.gaps.length})`, 'gaps', list);
}

function renderTotals(t: TotalsView, p: ProgressView, simulated: boolean): Node {
  const dl = h('dl', undefined, 'totals');
  const row = (k: string, v: string) => dl.append(h('dt', k), h('dd', v));
  const rest = Object.entries(t.agentsByStatus).filter(([s, n]) => n > 0 && s !== 'completed').map(([s, n]) => `${n} ${s}`);
  row('Agents', p.total ? [`${p.done}/${p.total} done`, ...rest].join(' · ') : 'none');
  row('Tokens', `in ${tokens(t.usage.input)} · out ${tokens(t.usage.output)} · cache read ${tokens(t.usage.cacheRead)} · cache write ${tokens(t.usage.cacheWrite)}`);
  const byModel = Object.keys(t.costByModel).length ? ` (${Object.entries(t.costByModel).map(([m, c]) => `${m} ${usd(c)}`).join(', ')})` : '';
  // The label already says "would cost" for a simulated run; the value does not say it again.
  row(simulated ? 'Would cost' : 'Cost', `${usd(t.costUsd)}${byModel}${simulated ? ' — simulated, nothing was spent' : ''}`);
  const ratio = t.parentContextTokens > 0 && t.flatBaselineTokens > 0 ? ` — ${(t.flatBaselineTokens / t.parentContextTokens).toFixed(1)}× less` : '';
  row('Parent context', `${tokens(t.parentContextTokens)} tokens vs ${tokens(t.flatBaselineTokens)} in a flat fan-out${ratio}`);
  row('Wall time', t.wallMs ? duration(t.wallMs) : '—');
  return section('Totals', 'totals', dl);
}
