import { describe, expect, it } from 'vitest';
import type { AgentRecord, AnyPlan } from '../../src/engine';
import { PlanEditorViewSchema, PlanEditSchema } from '../../src/shared/planProtocol';
import { applyEdit, editableGroups, errorsByItem } from '../../src/vscode/panels/plan/planEdit';
import { buildPlanEditorView, DERIVED_LIMIT, modelsOf } from '../../src/vscode/panels/plan/planEditorModel';
import { agent, plan, snapshot } from './vscode/fixtures';

const MODELS = { haiku: 'claude-haiku-5-5', sonnet: 'claude-sonnet-5-5', opus: 'claude-opus-5-5' };
const fanOut = plan as unknown as AnyPlan;
const pipeline: AnyPlan = {
  pattern: 'pipeline', task: 'Document src', reason: '', focus: [], summary: 'Four steps',
  stages: [
    { id: 's1', name: 'Research', task: 'Read the modules of src', scope: ['src'], tier: 'haiku' },
    { id: 's2', name: 'Outline', task: 'Outline the documentation', scope: [], tier: 'sonnet' },
    { id: 's3', name: 'Draft', task: 'Draft every page', scope: [], tier: 'sonnet' },
  ],
};
const panel: AnyPlan = {
  pattern: 'panel', task: 'Adopt strict TS?', reason: '', focus: [], question: 'Should we adopt strict TypeScript?', brief: '',
  experts: [
    { id: 'e1', perspective: 'security reviewer', task: 'Judge the risk', scope: [], tier: 'sonnet' },
    { id: 'e2', perspective: 'SRE', task: 'Judge the operations cost', scope: [], tier: 'haiku' },
  ],
};
const mapReduce: AnyPlan = { pattern: 'map-reduce', task: 'Rate comments', reason: '', focus: [], question: 'Rate the comments 1-5', include: ['**/*.ts'], exclude: [], mapperTier: 'haiku', mapperTokens: 60_000, filesPerMapper: 25, fanIn: 8 };

function ok(p: AnyPlan, edit: Parameters<typeof applyEdit>[1]): AnyPlan {
  const r = applyEdit(p, edit);
  if (!r.ok) throw new Error(r.error);
  return r.plan;
}

describe('plan edits', () => {
  it('changes a fan-out worker\'s tier and task, leaving the original untouched', () => {
    const before = JSON.stringify(fanOut);
    const p = ok(ok(fanOut, { kind: 'tier', agentId: 'a2', tier: 'opus' }), { kind: 'task', agentId: 'b1', task: 'Find every secret read and where it is logged' });
    expect(JSON.stringify(fanOut)).toBe(before);
    const domains = p.domains as typeof plan.domains;
    expect(domains[0].workers[1].tier).toBe('opus');
    expect(domains[1].workers[0].task).toBe('Find every secret read and where it is logged');
  });

  it('removes a worker and adds one with the next id of its domain', () => {
    const p = ok(ok(fanOut, { kind: 'remove', agentId: 'a1' }), { kind: 'add', group: 'a', task: 'Check the CORS settings', scope: ['src/server'], tier: 'haiku' });
    expect((p.domains as typeof plan.domains)[0].workers.map((w) => w.id)).toEqual(['a2', 'a3']);
    expect((p.domains as typeof plan.domains)[0].workers[1]).toEqual({ id: 'a3', task: 'Check the CORS settings', scope: ['src/server'], tier: 'haiku' });
  });

  it('says why an edit cannot apply instead of guessing', () => {
    expect(applyEdit(fanOut, { kind: 'tier', agentId: 'zz9', tier: 'opus' })).toEqual({ ok: false, error: 'The plan has no worker "zz9"' });
    expect(applyEdit(fanOut, { kind: 'add', group: 'q', task: 'x'.repeat(10), scope: [], tier: 'haiku' })).toMatchObject({ ok: false, error: expect.stringContaining('no domain "q"') as string });
    expect(applyEdit(mapReduce, { kind: 'remove', agentId: 'mappers' })).toMatchObject({ ok: false });
    expect(applyEdit(mapReduce, { kind: 'add', group: 'map', task: 'x'.repeat(10), scope: [], tier: 'haiku' })).toMatchObject({ ok: false });
  });

  it('keeps pipeline stage ids their positions when a stage is removed or added', () => {
    const p = ok(pipeline, { kind: 'remove', agentId: 's2' });
    expect((p.stages as Array<{ id: string; name: string }>).map((s) => `${s.id}:${s.name}`)).toEqual(['s1:Research', 's2:Draft']);
    const q = ok(p, { kind: 'add', group: 'stages', label: 'Review', task: 'Review the draft pages', scope: [], tier: 'opus' });
    expect((q.stages as Array<{ id: string; name: string }>).map((s) => `${s.id}:${s.name}`)).toEqual(['s1:Research', 's2:Draft', 's3:Review']);
    expect(applyEdit(p, { kind: 'add', group: 'stages', task: 'Review the draft pages', scope: [], tier: 'opus' })).toMatchObject({ ok: false, error: 'A new stage needs a name' });
  });

  it('adds a panel expert with its perspective, and edits a map-reduce run\'s mapper tier and question', () => {
    const p = ok(panel, { kind: 'add', group: 'experts', label: 'maintainer', task: 'Judge the migration effort', scope: [], tier: 'sonnet' });
    expect((p.experts as Array<{ id: string; perspective: string }>).at(-1)).toMatchObject({ id: 'e3', perspective: 'maintainer' });
    const m = ok(ok(mapReduce, { kind: 'tier', agentId: 'mappers', tier: 'sonnet' }), { kind: 'task', agentId: 'mappers', task: 'Rate the tests 1-5' });
    expect(m).toMatchObject({ mapperTier: 'sonnet', question: 'Rate the tests 1-5' });
  });

  it('lists what can be edited per pattern', () => {
    expect(editableGroups(fanOut).map((g) => [g.id, g.items.map((i) => i.id)])).toEqual([['a', ['a1', 'a2']], ['b', ['b1']]]);
    expect(editableGroups(pipeline)[0]).toMatchObject({ canAdd: true, addLabel: 'Stage name', items: [{ id: 's1', label: 'Research' }, {}, {}] });
    expect(editableGroups(mapReduce)[0].items[0]).toMatchObject({ id: 'mappers', canRemove: false, tier: 'haiku' });
  });

  it('validates edits arriving from the webview', () => {
    expect(PlanEditSchema.safeParse({ kind: 'tier', agentId: 'a1', tier: 'gpt' }).success).toBe(false);
    expect(PlanEditSchema.safeParse({ kind: 'remove', agentId: '../x' }).success).toBe(false);
    expect(PlanEditSchema.safeParse({ kind: 'add', group: 'a', task: 'x', scope: [], tier: 'haiku', html: '<b>' }).success).toBe(false);
    expect(PlanEditSchema.safeParse({ kind: 'task', agentId: 'a1', task: 'y'.repeat(2001) }).success).toBe(false);
  });
});

describe('validation errors next to the rows they name', () => {
  it('sorts errors by quoted id and by schema path; the rest stay general', () => {
    const { byItem, byGroup, general } = errorsByItem(fanOut, [
      'Worker "a2" has scope "nope", which does not exist in the workspace',
      'plan.domains.1.workers.0.task: task must say what to do (8+ characters)',
      'Domain "a" (HTTP surface) has 2 workers; between 3 and 8 are allowed',
    ]);
    expect(byItem.get('a2')).toHaveLength(1);
    expect(byItem.get('b1')?.[0]).toMatch(/task must say/);
    expect(general).toEqual(['Domain "a" (HTTP surface) has 2 workers; between 3 and 8 are allowed']);
    // A domain-level error also shows beside its domain, as the README says.
    expect(byGroup.get('a')).toEqual(['Domain "a" (HTTP surface) has 2 workers; between 3 and 8 are allowed']);
    expect(errorsByItem(fanOut, ['plan.domains.1.brief: too short']).byGroup.get('b')).toEqual(['plan.domains.1.brief: too short']);
    expect(errorsByItem(pipeline, ['plan.stages: at most 6 stages']).byGroup.get('stages')).toEqual(['plan.stages: at most 6 stages']);
    expect(errorsByItem(pipeline, ['plan.stages.2.task: too short']).byItem.get('s3')).toEqual(['plan.stages.2.task: too short']);
  });
});

describe('the plan editor\'s state', () => {
  const s = snapshot({ status: 'awaiting-approval' });
  const base = { snapshot: s, original: fanOut, preview: null, checking: false, locked: null, note: null, models: modelsOf(s, MODELS) };

  it('marks edited rows, shows the new estimate against the planned one, and allows approval once the engine accepts', () => {
    const draft = ok(fanOut, { kind: 'tier', agentId: 'a1', tier: 'opus' });
    const estimate = { tokensLow: 60_000, tokensHigh: 200_000, costLowUsd: 0.5, costHighUsd: 1.5 };
    const agents: AgentRecord[] = [agent({ id: 'a1', tier: 'opus', modelRequested: 'claude-opus-5-5' }), agent({ id: 'a2' }), agent({ id: 'b1', domain: 'b' }),
      agent({ id: 'coord-a', role: 'coordinator' }), agent({ id: 'final', role: 'final', domain: null })];
    const v = buildPlanEditorView({ ...base, draft, preview: { ok: true, estimate, agents } });
    expect(PlanEditorViewSchema.parse(v)).toEqual(v);
    expect(v.changed).toBe(true);
    expect(v.groups[0].items.map((i) => [i.id, i.changed, i.model])).toEqual([['a1', true, 'claude-opus-5-5'], ['a2', false, 'claude-haiku-5-5']]);
    expect(v.estimate).toEqual(estimate);
    expect(v.planned).toEqual(s.estimate);
    expect(v.derived.map((d) => d.id)).toEqual(['coord-a', 'final']);
    expect(v.canApprove).toBe(true);
  });

  it('keeps an invalid draft with its errors shown, and refuses approval until it is fixed', () => {
    const draft = ok(fanOut, { kind: 'task', agentId: 'a1', task: 'short' });
    const v = buildPlanEditorView({ ...base, draft, preview: { ok: false, errors: ['plan.domains.0.workers.0.task: task must say what to do (8+ characters)', 'Plan has 2 domains; between 3 and 5 are allowed'] } });
    expect(v.groups[0].items[0]).toMatchObject({ task: 'short', errors: ['plan.domains.0.workers.0.task: task must say what to do (8+ characters)'] });
    expect(v.errors).toEqual(['Plan has 2 domains; between 3 and 5 are allowed']);
    expect(v.estimate).toBeNull();
    expect(v.canApprove).toBe(false);
    expect(buildPlanEditorView({ ...base, draft, checking: true }).canApprove).toBe(false);
  });

  it('approves an untouched plan as it is, and nothing while it is locked', () => {
    expect(buildPlanEditorView({ ...base, draft: fanOut }).canApprove).toBe(true);
    const locked = buildPlanEditorView({ ...base, draft: fanOut, locked: 'The run is running.' });
    expect(locked).toMatchObject({ editable: false, canApprove: false, locked: 'The run is running.' });
  });

  it('counts derived agents past a page instead of listing hundreds', () => {
    const mappers = Array.from({ length: 300 }, (_, i) => agent({ id: `m${i + 1}`, role: 'mapper', domain: 'map' }));
    const v = buildPlanEditorView({ ...base, original: mapReduce, draft: mapReduce, preview: { ok: true, estimate: s.estimate!, agents: [...mappers, agent({ id: 'r1', role: 'reducer' })] } });
    expect(v.derived).toHaveLength(DERIVED_LIMIT);
    expect(v.derivedMore).toEqual({ mapper: 300 - DERIVED_LIMIT, reducer: 1 });
    expect(v.agents).toBe(301);
  });
});
