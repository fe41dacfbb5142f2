/** Builds the plan review panel's state from the draft plan and the engine's last preview of it. Pure. */
import { PLANNER_ROLE, trustNotes, type AgentRecord, type AnyPlan, type CostEstimate, type LedgerSnapshot, type Tier } from '../../../engine';
import type { PlanDocument, PlanEditorView, PlanGroup } from '../../../shared/planProtocol';
import { editableGroups, errorsByItem, type EditableItem } from './planEdit';
import { byEngine } from '../../runs/runShape';

/** What the engine says of a draft: its estimate and compiled agents, or why it is not a valid plan. */
/** Agents the engine derives from the plan that are listed one by one; the rest are counted. */
export const DERIVED_LIMIT = 40;

export type PlanPreview = { ok: true; estimate: CostEstimate; agents: readonly AgentRecord[] } | { ok: false; errors: string[] };

export interface PlanEditorInput {
  snapshot: LedgerSnapshot;
  original: AnyPlan;
  draft: AnyPlan;
  /** The engine's answer for the current draft (null before the first answer, or after an edit until it comes). */
  preview: PlanPreview | null;
  checking: boolean;
  /** Why the plan cannot be edited now, or null while it can. */
  locked: string | null;
  note: string | null;
  models: Record<Tier, string>;
  /** Files approved with the plan (planReviewDocuments), shown with an edit action. */
  documents?: readonly PlanDocument[];
}

const same = (a: EditableItem | undefined, b: EditableItem): boolean =>
  !!a && a.tier === b.tier && a.task === b.task && a.label === b.label && a.scope.join('\n') === b.scope.join('\n');

/** What the plan says in prose, as the Summary view shows it. */
function planText(plan: AnyPlan): string {
  for (const k of ['summary', 'question', 'brief']) {
    const v = plan[k];
    if (typeof v === 'string' && v.trim()) return v.trim();
  }
  return '';
}

/** A tier changed in the draft shows the model it will get, not the one planned. */
function modelOf(rec: AgentRecord | undefined, it: EditableItem, models: Record<Tier, string>): string {
  return rec && rec.tier === it.tier ? rec.modelRequested : models[it.tier];
}

export function buildPlanEditorView(i: PlanEditorInput): PlanEditorView {
  const changed = JSON.stringify(i.original) !== JSON.stringify(i.draft);
  const before = new Map(editableGroups(i.original).flatMap((g) => g.items.map((it) => [it.id, it] as const)));
  const errors = i.preview && !i.preview.ok ? i.preview.errors : [];
  const { byItem, byGroup, general } = errorsByItem(i.draft, errors);
  const compiled = i.preview?.ok ? i.preview.agents : i.snapshot.agents;
  const byId = new Map(compiled.map((a) => [a.id, a]));
  const groups: PlanGroup[] = editableGroups(i.draft).map((g) => ({
    id: g.id, name: g.name, brief: g.brief, canAdd: g.canAdd, addLabel: g.addLabel, addNoun: g.addNoun, errors: byGroup.get(g.id) ?? [],
    items: g.items.map((it) => ({
      ...it,
      model: modelOf(byId.get(it.id), it, i.models),
      changed: !same(before.get(it.id), it),
      errors: byItem.get(it.id) ?? [],
      batch: byId.get(it.id)?.batch === true,
      agentDefinition: byId.get(it.id)?.agentDefinition ?? null,
      agentNotes: byId.get(it.id)?.agentNotes ?? [],
    })),
  }));
  const listed = new Set(groups.flatMap((g) => g.items.map((it) => it.id)));
  const extra = i.preview?.ok || !changed ? compiled.filter((a) => a.role !== PLANNER_ROLE && !listed.has(a.id)) : [];
  const derived = extra.slice(0, DERIVED_LIMIT).map((a) => ({
    id: a.id, role: a.role, tier: a.tier, model: a.modelRequested, task: a.task.slice(0, 600), byEngine: byEngine(i.draft.pattern, a),
    batch: a.batch === true,
  }));
  const derivedMore: Record<string, number> = {};
  for (const a of extra.slice(DERIVED_LIMIT)) derivedMore[a.role] = (derivedMore[a.role] ?? 0) + 1;
  const estimate = i.preview?.ok ? i.preview.estimate : changed ? null : i.snapshot.estimate;
  const compiledAgents = (i.preview?.ok ? i.preview.agents : i.snapshot.agents).filter((a) => a.role !== PLANNER_ROLE);
  return {
    runId: i.snapshot.runId,
    task: i.snapshot.task,
    pattern: i.draft.pattern,
    status: i.snapshot.status,
    simulated: i.snapshot.simulated,
    editable: i.locked === null,
    locked: i.locked,
    summary: planText(i.draft),
    notes: trustNotes(i.snapshot),
    groups,
    documents: (i.documents ?? []).map((d) => ({ ...d, outline: [...d.outline] })),
    derived,
    derivedMore,
    agents: compiledAgents.length,
    batched: compiledAgents.filter((a) => a.batch === true).length,
    estimate: estimate ? { ...estimate } : null,
    planned: i.snapshot.estimate ? { ...i.snapshot.estimate } : null,
    errors: general,
    checking: i.checking,
    changed,
    canApprove: i.locked === null && !i.checking && errors.length === 0 && (!changed || i.preview?.ok === true),
    models: { ...i.models },
    note: i.note,
  };
}

/** The model id each tier maps to, as the run's agents requested it (the settings at planning). */
export function modelsOf(s: LedgerSnapshot, fallback: Record<Tier, string>): Record<Tier, string> {
  const out = { ...fallback };
  for (const a of s.agents) if (a.role !== PLANNER_ROLE) out[a.tier] = a.modelRequested;
  return out;
}
