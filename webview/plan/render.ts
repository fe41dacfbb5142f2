/**
 * Renders the plan review: every agent of the draft with its tier picker, task editor and remove
 * button, an add form per group, the agents the engine derives, the estimate against the planner's,
 * and the validation errors next to the rows they name. Host text goes in as text only.
 */
import type { EstimateView, PlanDocument, PlanEdit, PlanEditorView, PlanGroup, PlanItem } from '../../src/shared/planProtocol';
import { noun, plural } from '../../src/shared/words';
import { h, section } from '../dom';
import { tokens, usd } from '../format';
import { renderMarkdown } from '../markdownDom';
import { runTitle } from '../runTitle';
import { renderNotes } from '../trustNotes';
import { batchMark, button, definitionMark, spinner, tag } from '../toolkit';

export interface PlanActions {
  edit(edit: PlanEdit): void;
  approve(): void;
  decline(): void;
  reset(): void;
  openDocument(id: string): void;
}

const TIERS = ['haiku', 'sonnet', 'opus'] as const;

/** What the user typed into add forms and has not added yet: kept across re-renders. */
export const pendingInput = new Map<string, string>();
/** Add forms the user opened. */
export const openForms = new Set<string>();

function tierPicker(value: string, models: Record<string, string>, key: string, onPick: (tier: (typeof TIERS)[number]) => void, disabled: boolean): HTMLSelectElement {
  const sel = h('select', undefined, 'tier-picker');
  sel.dataset.key = key;
  sel.disabled = disabled;
  for (const t of TIERS) {
    const o = h('option', t);
    o.title = models[t] ?? t;
    o.value = t;
    o.selected = t === value;
    sel.append(o);
  }
  sel.setAttribute('aria-label', 'Model tier');
  sel.addEventListener('change', () => {
    const tier = TIERS.find((t) => t === sel.value);
    if (tier) onPick(tier);
  });
  return sel;
}

function estimateLine(e: EstimateView, simulated: boolean): string {
  const range = `${usd(e.costLowUsd)}–${usd(e.costHighUsd)}`;
  return `${tokens(e.tokensLow)}–${tokens(e.tokensHigh)} tokens, ${simulated ? `${range} if run for real` : range}`;
}

function estimateBox(v: PlanEditorView): HTMLElement {
  const box = h('div', undefined, 'estimate-box');
  box.id = 'estimate';
  const label = h('span', 'Estimate', 'tile-label');
  const value = h('div', undefined, 'estimate-value');
  if (v.checking) value.append(spinner(), h('span', ' checking the edited plan…', 'muted'));
  else if (v.estimate) value.append(h('span', estimateLine(v.estimate, v.simulated)));
  else value.append(h('span', v.errors.length || v.groups.some((g) => g.items.some((i) => i.errors.length)) ? 'not available until the plan is valid' : '—', 'muted'));
  box.append(label, value);
  if (v.changed && v.planned && v.estimate && !v.checking) {
    const delta = (v.estimate.costHighUsd + v.estimate.costLowUsd) / 2 - (v.planned.costHighUsd + v.planned.costLowUsd) / 2;
    const sign = delta > 0 ? '+' : delta < 0 ? '−' : '±';
    box.append(h('div', `As planned: ${estimateLine(v.planned, v.simulated)} (${sign}${usd(Math.abs(delta))} mid-range)`, 'muted estimate-planned'));
  }
  box.append(h('div', plural(v.agents, 'agent'), 'muted'));
  if (v.batched) {
    const note = h('div', `${v.batched} of them ${v.batched === 1 ? 'goes' : 'go'} through a Message Batch, priced at half the realtime price; answered within 24 h`, 'muted batch-note');
    note.id = 'plan-batch-note';
    box.append(note);
  }
  return box;
}

function itemRow(v: PlanEditorView, item: PlanItem, act: PlanActions): HTMLElement[] {
  const tr = h('tr', undefined, `plan-item${item.changed ? ' changed' : ''}${item.errors.length ? ' invalid' : ''}`);
  tr.dataset.agent = item.id;
  const who = h('td', undefined, 'col-id');
  who.append(h('code', item.id));
  if (item.label) who.append(h('div', item.label, 'item-label'));
  if (item.changed) who.append(h('div', 'edited', 'edited-mark'));
  const tier = h('td', undefined, 'col-tier');
  // Read-only once the plan is past approval: the tier as text, not a picker that does nothing.
  if (v.editable) tier.append(tierPicker(item.tier, v.models, `tier:${item.id}`, (t) => act.edit({ kind: 'tier', agentId: item.id, tier: t }), false));
  else tier.append(h('div', item.tier, 'tier-text'));
  tier.append(h('div', item.model, 'muted item-model'));
  if (item.batch) tier.append(batchMark());
  if (item.agentDefinition) tier.append(definitionMark(item.agentDefinition, item.agentNotes));
  const task = h('td', undefined, 'col-task');
  if (item.canEditTask && v.editable) {
    const area = h('textarea', undefined, 'task-editor');
    area.value = item.task;
    // Sized for a narrow editor column (about 30 characters a line), so a long task is not cut at three lines.
    area.rows = Math.min(10, Math.max(2, Math.ceil(item.task.length / 30)));
    // Grows with what is typed, so a long task never hides behind a scrollbar.
    area.addEventListener('input', () => {
      area.style.height = 'auto';
      area.style.height = `${area.scrollHeight + 2}px`;
    });
    area.dataset.key = `task:${item.id}`;
    area.setAttribute('aria-label', `Task of ${item.id}`);
    // Sent when the user leaves the field (or presses Ctrl+Enter), not per keystroke. Blur rather
    // than change: a re-render while typing restores the text into a new field, which would not fire change.
    const send = () => { if (area.value !== item.task) act.edit({ kind: 'task', agentId: item.id, task: area.value }); };
    area.addEventListener('blur', send);
    area.addEventListener('keydown', (e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) send(); });
    task.append(area);
  } else {
    task.append(h('div', item.task, 'task-text'));
  }
  // The scope sits under the task, so the task keeps the width (a fourth column squeezed it to a word a line).
  task.append(h('div', item.scope.length ? `Scope: ${item.scope.join(', ')}` : 'Scope: the whole workspace', 'muted item-scope'));
  tr.append(who, tier, task);
  if (v.editable) {
    const actions = h('td', undefined, 'col-actions');
    if (item.canRemove) {
      const b = h('button', 'Remove', 'remove');
      b.dataset.key = `remove:${item.id}`;
      b.title = `Remove ${item.id} from the plan`;
      b.addEventListener('click', () => act.edit({ kind: 'remove', agentId: item.id }));
      actions.append(b);
    }
    tr.append(actions);
  }
  if (!item.errors.length) return [tr];
  const err = h('tr', undefined, 'item-errors');
  const cell = h('td');
  cell.colSpan = v.editable ? 4 : 3;
  const list = h('ul', undefined, 'errors');
  list.setAttribute('role', 'alert');
  for (const e of item.errors) list.append(h('li', e));
  cell.append(list);
  err.append(cell);
  return [tr, err];
}

function field(key: string, make: () => HTMLInputElement | HTMLTextAreaElement, label: string): HTMLElement {
  const wrap = h('label', undefined, 'add-field');
  const input = make();
  input.dataset.key = key;
  input.value = pendingInput.get(key) ?? '';
  input.addEventListener('input', () => pendingInput.set(key, input.value));
  wrap.append(h('span', label, 'add-label'), input);
  return wrap;
}

function addForm(g: PlanGroup, act: PlanActions): HTMLElement {
  const form = h('details', undefined, 'add-form');
  form.dataset.group = g.id;
  form.open = openForms.has(g.id);
  form.addEventListener('toggle', () => { if (form.open) openForms.add(g.id); else openForms.delete(g.id); });
  const noun = g.addNoun ?? 'agent';
  form.append(h('summary', `Add a ${noun}`));
  const k = (f: string) => `add:${g.id}:${f}`;
  const body = h('div', undefined, 'add-body');
  if (g.addLabel) body.append(field(k('label'), () => h('input'), g.addLabel));
  body.append(
    field(k('task'), () => { const t = h('textarea'); t.rows = 2; return t; }, 'Task'),
    field(k('scope'), () => { const i = h('input'); i.placeholder = 'src/server, src/auth (comma-separated)'; return i; }, 'Scope'),
  );
  const tierWrap = h('label', undefined, 'add-field');
  const tier = h('select', undefined, 'tier-picker');
  tier.dataset.key = k('tier');
  for (const t of TIERS) {
    const o = h('option', t);
    o.value = t;
    o.selected = t === (pendingInput.get(k('tier')) ?? 'sonnet');
    tier.append(o);
  }
  tier.addEventListener('change', () => pendingInput.set(k('tier'), tier.value));
  tierWrap.append(h('span', 'Tier', 'add-label'), tier);
  body.append(tierWrap);
  const add = button(`Add ${noun}`, () => {
    const task = (pendingInput.get(k('task')) ?? '').trim();
    const scope = (pendingInput.get(k('scope')) ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    const picked = TIERS.find((t) => t === (pendingInput.get(k('tier')) ?? 'sonnet')) ?? 'sonnet';
    const label = pendingInput.get(k('label'))?.trim();
    act.edit({ kind: 'add', group: g.id, task, scope, tier: picked, ...(label ? { label } : {}) });
    for (const f of ['task', 'scope', 'label']) pendingInput.delete(k(f));
  }, 'secondary', `add-${g.id}`);
  body.append(add);
  form.append(body);
  return form;
}

function groupCard(v: PlanEditorView, g: PlanGroup, act: PlanActions): HTMLElement {
  const card = h('article', undefined, 'card plan-group');
  card.dataset.group = g.id;
  const head = h('div', undefined, 'card-head');
  head.append(h('h4', g.name), tag(`${g.items.length}`));
  card.append(head);
  if (g.brief) card.append(h('p', g.brief, 'muted brief'));
  if (g.errors.length) {
    const list = h('ul', undefined, 'errors group-errors');
    list.setAttribute('role', 'alert');
    for (const e of g.errors) list.append(h('li', e));
    card.append(list);
  }
  const table = h('table', undefined, `plan-items${v.editable ? ' editable' : ' read-only'}`);
  const header = h('tr');
  for (const c of ['Agent', 'Tier', 'Task', ...(v.editable ? [''] : [])]) header.append(h('th', c));
  table.append(header);
  for (const item of g.items) table.append(...itemRow(v, item, act));
  card.append(table);
  if (g.canAdd && v.editable) card.append(addForm(g, act));
  return card;
}

/** A file approved with the plan (architecture.md): what it is, where, its outline, and the button that opens it. */
function documentCard(v: PlanEditorView, d: PlanDocument, act: PlanActions): HTMLElement {
  const card = h('article', undefined, 'card plan-document');
  card.dataset.document = d.id;
  const head = h('div', undefined, 'card-head');
  head.append(h('h4', d.title), button(v.editable ? d.editLabel : `Open ${d.path.split(/[\\/]/).pop() ?? d.title}`, () => act.openDocument(d.id), 'secondary', `edit-document-${d.id}`));
  card.append(head, h('p', d.note, 'muted brief'), h('div', d.path, 'muted document-path'));
  if (d.outline.length) {
    const list = h('ul', undefined, 'document-outline');
    for (const line of d.outline) {
      const depth = /^ */.exec(line)![0].length / 2;
      const li = h('li', line.trim());
      li.style.marginLeft = `${depth}em`;
      list.append(li);
    }
    card.append(list);
  }
  return card;
}

export function renderPlanEditor(v: PlanEditorView, act: PlanActions): Node {
  const root = document.createDocumentFragment();
  const head = h('header', undefined, 'panel-header');
  const extras: Node[] = [tag(v.pattern, 'pattern-tag')];
  if (v.simulated) extras.push(tag('simulated', 'simulated'));
  if (v.changed) extras.push(tag('edited', 'edited'));
  head.append(...runTitle(v, v.status === 'awaiting-approval' ? 'awaiting approval' : v.status, extras));
  root.append(head);
  if (v.notes.length) root.append(renderNotes(v.notes));

  const bar = h('div', undefined, 'plan-bar');
  bar.append(estimateBox(v));
  const buttons = h('div', undefined, 'actions');
  if (v.editable) {
    const approve = button(v.changed ? 'Save and Approve' : 'Approve', () => act.approve(), 'primary', 'approve');
    if (!v.canApprove) approve.setAttribute('disabled', '');
    buttons.append(approve, button('Decline', () => act.decline(), 'secondary', 'decline'));
    if (v.changed) buttons.append(button('Undo All Edits', () => act.reset(), 'secondary', 'reset'));
  }
  bar.append(buttons);
  root.append(bar);
  if (v.locked) root.append(h('p', v.locked, 'locked'));
  if (v.note) {
    const note = h('p', v.note, 'note');
    note.id = 'note';
    root.append(note);
  }
  if (v.errors.length) {
    const list = h('ul', undefined, 'errors');
    list.id = 'plan-errors';
    list.setAttribute('role', 'alert');
    for (const e of v.errors) list.append(h('li', e));
    root.append(section('The edited plan is not valid', 'errors-section', list));
  }
  if (v.summary) {
    const md = h('div', undefined, 'markdown plan-summary');
    md.append(renderMarkdown(v.summary, () => undefined));
    root.append(md);
  }
  if (v.documents.length) {
    const docs = h('div', undefined, 'plan-documents');
    docs.append(...v.documents.map((d) => documentCard(v, d, act)));
    root.append(section(v.editable ? 'Approve with the plan (edit before approving)' : 'Approved with the plan', 'documents', docs));
  }
  const groups = h('div', undefined, 'plan-groups');
  groups.id = 'plan-groups';
  groups.append(...v.groups.map((g) => groupCard(v, g, act)));
  // A plan whose agents the engine makes from it (a build's builders come after its scouts) has no rows to edit.
  if (v.groups.length) root.append(section(v.editable ? 'Agents (edit before approving)' : 'Agents', 'agents', groups));
  if (v.derived.length) {
    const list = h('ul', undefined, 'derived');
    for (const d of v.derived) {
      const li = h('li');
      li.append(h('code', d.id), h('span', ` ${d.role} · ${d.byEngine ? 'done by the engine' : d.tier}`, 'muted'));
      if (!d.byEngine) li.append(h('span', ` · ${d.model}`, 'muted derived-model'));
      if (d.batch) li.append(' ', batchMark());
      li.append(h('div', d.task, 'derived-task'));
      list.append(li);
    }
    const more = Object.entries(v.derivedMore).map(([role, n]) => `${n} more ${noun(n, role)}`).join(', ');
    if (more) list.append(h('li', `… and ${more}`, 'muted'));
    root.append(section('Also runs (derived from the plan)', 'derived-section', list));
  }
  return root;
}
