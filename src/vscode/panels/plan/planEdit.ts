/**
 * Edits a plan before approval, pattern by pattern: change an agent's tier or task, remove one,
 * add a worker. Each edit returns a new plan (the input is never changed) or says why it cannot
 * apply; whether the result is a valid plan is the engine's call (previewPlan validates it with
 * the same schema as planning). Pure, so the plan editor's behaviour is unit-tested here.
 */
import { patternNamed, TIERS, type AnyPlan, type PlanEditDecl, type Tier } from '../../../engine';
import type { PlanEdit } from '../../../shared/planProtocol';

/** One editable agent of the plan as the editor lists it. */
export interface EditableItem {
  id: string;
  /** A stage's name or an expert's perspective; null where the pattern has none. */
  label: string | null;
  task: string;
  scope: string[];
  tier: Tier;
  canRemove: boolean;
  canEditTask: boolean;
}

export interface EditableGroup {
  id: string;
  name: string;
  brief: string | null;
  items: EditableItem[];
  /** Whether Add Worker applies here, what the new agent's label field is called, and what the new agent is ("stage"). */
  canAdd: boolean;
  addLabel: string | null;
  addNoun: string | null;
}

type Edited = { ok: true; plan: AnyPlan } | { ok: false; error: string };

interface Spec { id: string; task: string; scope?: string[]; tier: Tier; [field: string]: unknown }

const isTier = (x: unknown): x is Tier => typeof x === 'string' && (TIERS as readonly string[]).includes(x);
const strings = (x: unknown): string[] => (Array.isArray(x) ? x.filter((s): s is string => typeof s === 'string') : []);

/** The plan's list under `key` when it has the shape agents share (id, task, tier); else null. */
function specs(plan: AnyPlan, key: string): Spec[] | null {
  const list = plan[key];
  if (!Array.isArray(list)) return null;
  const ok = list.every((s: unknown) => typeof s === 'object' && s !== null && typeof (s as Spec).id === 'string');
  return ok ? (list as Spec[]) : null;
}

type EditDecl = PlanEditDecl;
type Of<K extends EditDecl['kind']> = Extract<EditDecl, { kind: K }>;

/** How the plan's pattern declares its editable agents (PatternView.editable); undefined when it has none. */
function declOf(plan: AnyPlan): EditDecl | undefined {
  return patternNamed(plan.pattern)?.view.editable;
}

interface Group { id: string; name: string; brief: string; items: Spec[] }

/** A groups declaration's groups (fan-out's domains), when the plan has them in the shape agents share. */
function nestedGroups(plan: AnyPlan, d: Of<'groups'>): Group[] | null {
  const list = plan[d.key];
  if (!Array.isArray(list)) return null;
  return (list as unknown[]).every((g) => typeof g === 'object' && g !== null && Array.isArray((g as Record<string, unknown>)[d.itemsKey]))
    ? (list as Array<Record<string, unknown>>).map((g) => ({ id: g.id as string, name: g.name as string, brief: g.brief as string, items: g[d.itemsKey] as Spec[] }))
    : null;
}

const item = (s: Spec, over: Partial<EditableItem> = {}): EditableItem => ({
  id: s.id, label: null, task: typeof s.task === 'string' ? s.task : '', scope: strings(s.scope), tier: isTier(s.tier) ? s.tier : 'sonnet',
  canRemove: true, canEditTask: true, ...over,
});

const text = (x: unknown): string | null => (typeof x === 'string' ? x : null);

/** What the editor shows of a plan, in plan order, as its pattern declares it. Patterns whose agents the engine makes (map-reduce, supervisor) expose their tier and question or brief. */
export function editableGroups(plan: AnyPlan): EditableGroup[] {
  const d = declOf(plan);
  switch (d?.kind) {
    case 'groups':
      return (nestedGroups(plan, d) ?? []).map((g) => ({
        id: g.id, name: `${g.id.toUpperCase()} · ${g.name}`, brief: g.brief, items: g.items.map((w) => item(w)), canAdd: true, addLabel: null, addNoun: d.itemNoun,
      }));
    case 'list': {
      const list = specs(plan, d.key) ?? [];
      return [{
        id: d.groupId, name: d.title, brief: d.briefKey ? text(plan[d.briefKey]) : null, items: list.map((s) => item(s, { label: text(s[d.labelKey]) ?? s.id })),
        canAdd: true, addLabel: d.addLabel, addNoun: d.noun,
      }];
    }
    case 'fields':
      return [{ id: d.groupId, name: d.title, brief: d.brief, canAdd: false, addLabel: null, addNoun: null,
        items: [{
          id: d.id, label: null, task: d.taskKey ? text(plan[d.taskKey]) ?? '' : plan.task, scope: strings(plan[d.scopeKey]),
          tier: isTier(plan[d.tierKey]) ? plan[d.tierKey] as Tier : d.defaultTier, canRemove: false, canEditTask: d.taskKey !== null,
        }] }];
    default:
      return [];
  }
}

const next = (ids: readonly string[], prefix: string): number =>
  Math.max(0, ...ids.map((id) => (id.startsWith(prefix) ? Number(id.slice(prefix.length)) : 0)).filter(Number.isFinite)) + 1;

/** Applies one edit to a copy of `plan`. */
export function applyEdit(plan: AnyPlan, edit: PlanEdit): Edited {
  const copy = structuredClone(plan);
  if (edit.kind === 'tier' && !isTier(edit.tier)) return { ok: false, error: `Tier "${String(edit.tier)}" is not one of ${TIERS.join(', ')}` };
  const d = declOf(copy);
  switch (d?.kind) {
    case 'groups': {
      const gs = nestedGroups(copy, d);
      if (gs) return editGroups(copy, d, gs, edit);
      break;
    }
    case 'list': return editList(copy, d, edit);
    case 'fields': return editSingle(copy, d, edit);
  }
  return { ok: false, error: `Plans of the ${copy.pattern} pattern cannot be edited here; decline and plan again` };
}

function editGroups(plan: AnyPlan, d: Of<'groups'>, gs: Group[], edit: PlanEdit): Edited {
  if (edit.kind === 'add') {
    const g = gs.find((x) => x.id === edit.group);
    if (!g) return { ok: false, error: `The plan has no ${d.groupNoun} "${edit.group}" (it has ${gs.map((x) => x.id).join(', ')})` };
    const id = `${g.id}${next(g.items.map((w) => w.id), g.id)}`;
    g.items.push({ id, task: edit.task.trim(), scope: edit.scope, tier: edit.tier });
    return { ok: true, plan };
  }
  for (const g of gs) {
    const i = g.items.findIndex((w) => w.id === edit.agentId);
    if (i < 0) continue;
    if (edit.kind === 'remove') g.items.splice(i, 1);
    else if (edit.kind === 'tier') g.items[i].tier = edit.tier;
    else g.items[i].task = edit.task;
    return { ok: true, plan };
  }
  return { ok: false, error: `The plan has no ${d.itemNoun} "${edit.agentId}"` };
}

function editList(plan: AnyPlan, d: Of<'list'>, edit: PlanEdit): Edited {
  const list = specs(plan, d.key);
  if (!list) return { ok: false, error: `The plan has no ${d.key} list` };
  const renumber = () => { if (d.renumber) list.forEach((s, i) => { s.id = `${d.idPrefix}${i + 1}`; }); };
  if (edit.kind === 'add') {
    const label = edit.label?.trim();
    if (!label) return { ok: false, error: `A new ${d.noun} needs a ${d.labelKey}` };
    list.push({ id: `${d.idPrefix}${next(list.map((s) => s.id), d.idPrefix)}`, [d.labelKey]: label, task: edit.task.trim(), scope: edit.scope, tier: edit.tier });
    renumber();
    return { ok: true, plan };
  }
  const i = list.findIndex((s) => s.id === edit.agentId);
  if (i < 0) return { ok: false, error: `The plan has no ${d.noun} "${edit.agentId}"` };
  if (edit.kind === 'remove') { list.splice(i, 1); renumber(); }
  else if (edit.kind === 'tier') list[i].tier = edit.tier;
  else list[i].task = edit.task;
  return { ok: true, plan };
}

function editSingle(plan: AnyPlan, d: Of<'fields'>, edit: PlanEdit): Edited {
  if (edit.kind === 'add') return { ok: false, error: `A ${plan.pattern} plan has no list of workers to add to${d.noAdd ? `: ${d.noAdd}` : ''}` };
  if (edit.agentId !== d.id) return { ok: false, error: `The plan has no agent "${edit.agentId}" to edit` };
  if (edit.kind === 'remove') return { ok: false, error: `The ${plan.pattern} plan's ${d.id} cannot be removed; decline the plan instead` };
  if (edit.kind === 'tier') { plan[d.tierKey] = edit.tier; return { ok: true, plan }; }
  if (!d.taskKey) return { ok: false, error: 'This agent\'s task is the run\'s task; plan again to change it' };
  plan[d.taskKey] = edit.task;
  return { ok: true, plan };
}

/**
 * Sorts the engine's validation errors onto the agents they name (by id in quotes, or by the
 * schema path `domains.0.workers.1…`), so each shows next to its row. An error about a group as a
 * whole (`Domain "a" has 2 workers…`, `plan.domains.1.brief…`, `plan.stages: …`) shows beside that
 * group and also stays in `general`, at the top, where the user looks first.
 */
export function errorsByItem(plan: AnyPlan, errors: readonly string[]): { byItem: Map<string, string[]>; byGroup: Map<string, string[]>; general: string[] } {
  const byItem = new Map<string, string[]>();
  const byGroup = new Map<string, string[]>();
  const general: string[] = [];
  const groups = editableGroups(plan);
  const ids = groups.flatMap((g) => g.items.map((i) => i.id));
  const d = declOf(plan);
  const nested = d?.kind === 'groups' ? nestedGroups(plan, d) : null;
  const listKey = d?.kind === 'list' ? d.key : null;
  const list = listKey ? specs(plan, listKey) : null;
  const add = (to: Map<string, string[]>, id: string, e: string) => to.set(id, [...(to.get(id) ?? []), e]);
  for (const e of errors) {
    const byPath = d?.kind === 'groups' ? new RegExp(`^plan\\.${d.key}\\.(\\d+)\\.${d.itemsKey}\\.(\\d+)\\.`).exec(e) : null;
    const byList = listKey ? new RegExp(`^plan\\.${listKey}\\.(\\d+)\\.`).exec(e) : null;
    const pathId = byPath && nested ? nested[Number(byPath[1])]?.items[Number(byPath[2])]?.id : byList && list ? list[Number(byList[1])]?.id : undefined;
    const named = pathId ?? ids.find((id) => e.includes(`"${id}"`));
    if (named) { add(byItem, named, e); continue; }
    general.push(e);
    const groupPath = d?.kind === 'groups' ? new RegExp(`^plan\\.${d.key}\\.(\\d+)(\\.|:)`).exec(e) : null;
    const group = groupPath && nested ? nested[Number(groupPath[1])]?.id
      : listKey && new RegExp(`^plan\\.${listKey}\\b`).test(e) ? groups[0]?.id
      : d?.kind === 'groups' ? groups.find((g) => e.toLowerCase().includes(`${d.groupNoun} "${g.id.toLowerCase()}"`))?.id
      : undefined;
    if (group) add(byGroup, group, e);
  }
  return { byItem, byGroup, general };
}
