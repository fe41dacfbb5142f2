/**
 * Edits a plan before approval, pattern by pattern: change an agent's tier or task, remove one,
 * add a worker. Each edit returns a new plan (the input is never changed) or says why it cannot
 * apply; whether the result is a valid plan is the engine's call (previewPlan validates it with
 * the same schema as planning). Pure, so the plan editor's behaviour is unit-tested here.
 */
import { TIERS, type AnyPlan, type Tier } from '../../../engine';
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
  /** Whether Add Worker applies here, and what the new agent's label field is called. */
  canAdd: boolean;
  addLabel: string | null;
}

type Edited = { ok: true; plan: AnyPlan } | { ok: false; error: string };

interface Spec { id: string; task: string; scope?: string[]; tier: Tier; name?: string; perspective?: string }

const isTier = (x: unknown): x is Tier => typeof x === 'string' && (TIERS as readonly string[]).includes(x);
const strings = (x: unknown): string[] => (Array.isArray(x) ? x.filter((s): s is string => typeof s === 'string') : []);

/** The plan's list under `key` when it has the shape agents share (id, task, tier); else null. */
function specs(plan: AnyPlan, key: string): Spec[] | null {
  const list = plan[key];
  if (!Array.isArray(list)) return null;
  const ok = list.every((s: unknown) => typeof s === 'object' && s !== null && typeof (s as Spec).id === 'string');
  return ok ? (list as Spec[]) : null;
}

interface Domain { id: string; name: string; brief: string; workers: Spec[] }

function domains(plan: AnyPlan): Domain[] | null {
  if (plan.pattern !== 'fan-out' || !Array.isArray(plan.domains)) return null;
  return (plan.domains as unknown[]).every((d) => typeof d === 'object' && d !== null && Array.isArray((d as Domain).workers))
    ? (plan.domains as Domain[]) : null;
}

const item = (s: Spec, over: Partial<EditableItem> = {}): EditableItem => ({
  id: s.id, label: null, task: typeof s.task === 'string' ? s.task : '', scope: strings(s.scope), tier: isTier(s.tier) ? s.tier : 'sonnet',
  canRemove: true, canEditTask: true, ...over,
});

/** What the editor shows of a plan, in plan order. Patterns whose agents the engine makes (map-reduce, supervisor) expose their tier and question or brief. */
export function editableGroups(plan: AnyPlan): EditableGroup[] {
  const ds = domains(plan);
  if (ds) return ds.map((d) => ({ id: d.id, name: `${d.id.toUpperCase()} · ${d.name}`, brief: d.brief, items: d.workers.map((w) => item(w)), canAdd: true, addLabel: null }));
  switch (plan.pattern) {
    case 'pipeline': {
      const st = specs(plan, 'stages') ?? [];
      return [{ id: 'stages', name: 'Stages', brief: null, items: st.map((s) => item(s, { label: s.name ?? s.id })), canAdd: true, addLabel: 'Stage name' }];
    }
    case 'panel': {
      const ex = specs(plan, 'experts') ?? [];
      return [{ id: 'experts', name: 'Experts', brief: typeof plan.question === 'string' ? plan.question : null, items: ex.map((e) => item(e, { label: e.perspective ?? e.id })), canAdd: true, addLabel: 'Perspective' }];
    }
    case 'map-reduce':
      return [{ id: 'map', name: 'Mappers', brief: 'The engine selects and partitions the files; every mapper asks this question of its files.', canAdd: false, addLabel: null,
        items: [{ id: 'mappers', label: null, task: typeof plan.question === 'string' ? plan.question : '', scope: strings(plan.include), tier: isTier(plan.mapperTier) ? plan.mapperTier : 'haiku', canRemove: false, canEditTask: true }] }];
    case 'supervisor':
      return [{ id: 'supervisor', name: 'Supervisor', brief: 'The supervisor spawns its workers while it runs, under the plan\'s limits.', canAdd: false, addLabel: null,
        items: [{ id: 'supervisor', label: null, task: typeof plan.brief === 'string' ? plan.brief : '', scope: strings(plan.areas), tier: isTier(plan.tier) ? plan.tier : 'sonnet', canRemove: false, canEditTask: true }] }];
    case 'single':
      return [{ id: 'solo', name: 'One agent', brief: null, canAdd: false, addLabel: null,
        items: [{ id: 'solo', label: null, task: plan.task, scope: strings(plan.scope), tier: isTier(plan.tier) ? plan.tier : 'sonnet', canRemove: false, canEditTask: false }] }];
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
  const ds = domains(copy);
  if (ds) return editFanOut(copy, ds, edit);
  switch (copy.pattern) {
    case 'pipeline': return editList(copy, 'stages', edit, 'stage', (list) => list.forEach((s, i) => { s.id = `s${i + 1}`; }), 's', 'name');
    case 'panel': return editList(copy, 'experts', edit, 'expert', () => undefined, 'e', 'perspective');
    case 'map-reduce': return editSingle(copy, edit, 'mappers', 'mapperTier', 'question');
    case 'supervisor': return editSingle(copy, edit, 'supervisor', 'tier', 'brief');
    case 'single': return editSingle(copy, edit, 'solo', 'tier', null);
    default: return { ok: false, error: `Plans of the ${copy.pattern} pattern cannot be edited here; decline and plan again` };
  }
}

function editFanOut(plan: AnyPlan, ds: Domain[], edit: PlanEdit): Edited {
  if (edit.kind === 'add') {
    const d = ds.find((x) => x.id === edit.group);
    if (!d) return { ok: false, error: `The plan has no domain "${edit.group}" (it has ${ds.map((x) => x.id).join(', ')})` };
    const id = `${d.id}${next(d.workers.map((w) => w.id), d.id)}`;
    d.workers.push({ id, task: edit.task.trim(), scope: edit.scope, tier: edit.tier });
    return { ok: true, plan };
  }
  for (const d of ds) {
    const i = d.workers.findIndex((w) => w.id === edit.agentId);
    if (i < 0) continue;
    if (edit.kind === 'remove') d.workers.splice(i, 1);
    else if (edit.kind === 'tier') d.workers[i].tier = edit.tier;
    else d.workers[i].task = edit.task;
    return { ok: true, plan };
  }
  return { ok: false, error: `The plan has no worker "${edit.agentId}"` };
}

function editList(plan: AnyPlan, key: 'stages' | 'experts', edit: PlanEdit, noun: string, renumber: (list: Spec[]) => void, prefix: string, labelKey: 'name' | 'perspective'): Edited {
  const list = specs(plan, key);
  if (!list) return { ok: false, error: `The plan has no ${key} list` };
  if (edit.kind === 'add') {
    const label = edit.label?.trim();
    if (!label) return { ok: false, error: `A new ${noun} needs a ${labelKey === 'name' ? 'name' : 'perspective'}` };
    list.push({ id: `${prefix}${next(list.map((s) => s.id), prefix)}`, [labelKey]: label, task: edit.task.trim(), scope: edit.scope, tier: edit.tier });
    renumber(list);
    return { ok: true, plan };
  }
  const i = list.findIndex((s) => s.id === edit.agentId);
  if (i < 0) return { ok: false, error: `The plan has no ${noun} "${edit.agentId}"` };
  if (edit.kind === 'remove') { list.splice(i, 1); renumber(list); }
  else if (edit.kind === 'tier') list[i].tier = edit.tier;
  else list[i].task = edit.task;
  return { ok: true, plan };
}

function editSingle(plan: AnyPlan, edit: PlanEdit, id: string, tierKey: string, taskKey: string | null): Edited {
  if (edit.kind === 'add') return { ok: false, error: `A ${plan.pattern} plan has no list of workers to add to${plan.pattern === 'supervisor' ? ': the supervisor spawns them while it runs' : ''}` };
  if (edit.agentId !== id) return { ok: false, error: `The plan has no agent "${edit.agentId}" to edit` };
  if (edit.kind === 'remove') return { ok: false, error: `The ${plan.pattern} plan's ${id} cannot be removed; decline the plan instead` };
  if (edit.kind === 'tier') { plan[tierKey] = edit.tier; return { ok: true, plan }; }
  if (!taskKey) return { ok: false, error: 'This agent\'s task is the run\'s task; plan again to change it' };
  plan[taskKey] = edit.task;
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
  const ds = domains(plan);
  const listKey = plan.pattern === 'pipeline' ? 'stages' : plan.pattern === 'panel' ? 'experts' : null;
  const list = listKey ? specs(plan, listKey) : null;
  const add = (to: Map<string, string[]>, id: string, e: string) => to.set(id, [...(to.get(id) ?? []), e]);
  for (const e of errors) {
    const byPath = /^plan\.domains\.(\d+)\.workers\.(\d+)\./.exec(e);
    const byList = listKey ? new RegExp(`^plan\\.${listKey}\\.(\\d+)\\.`).exec(e) : null;
    const pathId = byPath && ds ? ds[Number(byPath[1])]?.workers[Number(byPath[2])]?.id : byList && list ? list[Number(byList[1])]?.id : undefined;
    const named = pathId ?? ids.find((id) => e.includes(`"${id}"`));
    if (named) { add(byItem, named, e); continue; }
    general.push(e);
    const domainPath = /^plan\.domains\.(\d+)(\.|:)/.exec(e);
    const group = domainPath && ds ? ds[Number(domainPath[1])]?.id
      : listKey && new RegExp(`^plan\\.${listKey}\\b`).test(e) ? groups[0]?.id
      : groups.find((g) => e.toLowerCase().includes(`domain "${g.id.toLowerCase()}"`))?.id;
    if (group) add(byGroup, group, e);
  }
  return { byItem, byGroup, general };
}
