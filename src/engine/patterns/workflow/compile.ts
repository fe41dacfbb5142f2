import type { Config } from '../../config';
import type { AgentGroup, AgentRecord } from '../../types';
import { renderTemplate } from '../../workflows';
import type { WorkflowGate } from '../../workflows/schema';
import { agentRecord, PlanInputError, withDefinition, type Compiled } from '../pattern';
import type { WorkflowPlan, WorkflowStagePlan } from './plan';

export const FINAL_ID = 'final';

/** What a gate or hook is, as its agent's id suffix and role. */
export type StepKind = 'sanity' | 'approval' | 'check' | 'review' | 'reflect';

/**
 * The items of `each: {items}` stages that are known (their expander ran), by stage id; null when
 * the expander blocked (no items): the stage is then laid out as one agent, which its hold skips.
 */
export type KnownItems = Readonly<Record<string, readonly string[] | null>>;

/** The stage whose items a stage fans out over (`each: {items}`), or null. */
export const itemsSourceOf = (s: Pick<WorkflowStagePlan, 'each'>): string | null => (s.each && 'items' in s.each ? s.each.items : null);

/** A stage's items: the files `each` matched, the items its source returned (once known), or null for one agent. */
export function itemsOf(s: WorkflowStagePlan, known: KnownItems = {}): readonly string[] | null {
  if (s.items !== null) return s.items;
  return itemsSourceOf(s) ? known[s.id] ?? null : null;
}

/** A stage's agent ids: the stage id alone, or `<stage>-<n>` per item of `each`. */
export const stageAgentIds = (s: WorkflowStagePlan, known: KnownItems = {}): string[] => {
  const items = itemsOf(s, known);
  return items === null ? [s.id] : items.map((_, i) => `${s.id}-${i + 1}`);
};

export const stepId = (stage: string, kind: StepKind | 'items', n = 1): string => `${stage}-${kind}${n > 1 ? `-${n}` : ''}`;

/** The item an agent of an `each` stage works on (null for a one-agent stage). */
export function itemOf(s: WorkflowStagePlan, agentId: string, known: KnownItems = {}): string | null {
  const items = itemsOf(s, known);
  if (items === null) return null;
  const n = Number(agentId.slice(s.id.length + 1));
  return items[n - 1] ?? null;
}

/** The steps after a stage, in the order they run: its sanity check, then its gates, each gating the next. */
export function gateSteps(s: WorkflowStagePlan): Array<{ id: string; kind: StepKind; gate: WorkflowGate | null }> {
  const steps: Array<{ id: string; kind: StepKind; gate: WorkflowGate | null }> = [];
  if (s.hooks.includes('sanity-check')) steps.push({ id: stepId(s.id, 'sanity'), kind: 'sanity', gate: null });
  const count: Partial<Record<StepKind, number>> = {};
  for (const g of s.gates) {
    const kind: StepKind = g === 'approval' || 'approval' in g ? 'approval' : 'check' in g ? 'check' : 'review';
    count[kind] = (count[kind] ?? 0) + 1;
    steps.push({ id: stepId(s.id, kind, count[kind]), kind, gate: g });
  }
  return steps;
}

/** What the stages after a stage wait for: its last gate, or its agents when it has none. */
export function exitsOf(s: WorkflowStagePlan, known: KnownItems = {}): string[] {
  const steps = gateSteps(s);
  return steps.length ? [steps[steps.length - 1].id] : stageAgentIds(s, known);
}

const gateTask = (s: WorkflowStagePlan, kind: StepKind, gate: WorkflowGate | null): string => {
  switch (kind) {
    case 'sanity': return `Sanity-check stage ${s.id}: pass its output on, or block the stages after it`;
    case 'approval': return `Wait for your approval of stage ${s.id}${gate && typeof gate === 'object' && 'approval' in gate ? ` (${gate.approval})` : ''}`;
    case 'check': return `Run \`${gate && typeof gate === 'object' && 'check' in gate ? gate.check : ''}\` in the workspace after stage ${s.id}`;
    case 'review': return `Review stage ${s.id} as ${gate && typeof gate === 'object' && 'review' in gate ? gate.review : 'a reviewer'}: pass or block`;
    case 'reflect': return `Propose lessons from stage ${s.id} for memory.md`;
  }
};

/**
 * The workflow as a graph: per stage one group holding its agents (one, or one per item) and
 * the steps after them — the sanity-check auditor, then each gate in order, each depending on
 * the one before — so the next stages wait for the stage's last gate. A `reflect` hook reads the
 * stage's output beside that chain and holds nothing back. The final step depends on the stages
 * nothing depends on (and the reflections), and writes summary.md. Agents come in dependency order.
 *
 * A stage that fans out over the items another stage returns (`each: {items}`) cannot be laid out
 * before that stage has run: until `known` has its items, it is an expander step (`<stage>-items`,
 * after the stages it depends on), and it, every stage after it and the final step are left out.
 * The expander compiles again with the items and spawns what is new (gates.ts).
 */
export function compileWorkflow(plan: WorkflowPlan, config: Config, known: KnownItems = {}): Compiled {
  const agents: AgentRecord[] = [];
  const groups: AgentGroup[] = [];
  const byId = new Map(plan.stages.map((s) => [s.id, s]));
  const reflections: string[] = [];
  // A task line is shown before any handoff exists: it names the handoff instead.
  const handoffNames = Object.fromEntries(plan.stages.map((s) => [s.id, `(the handoff of stage ${s.id})`]));
  const deferred = new Set<string>();
  for (const s of plan.stages) {
    const items = itemsOf(s, known);
    const source = itemsSourceOf(s);
    const fanLabel = items ? ` (${items.length} × ${s.agent ?? 'agent'})` : source ? ` (each item of ${source}${s.agent ? `, ${s.agent}` : ''})` : s.agent ? ` (${s.agent})` : '';
    groups.push({ id: s.id, label: `Stage ${s.id}${fanLabel}` });
    if (s.dependsOn.some((d) => deferred.has(d))) { deferred.add(s.id); continue; }
    const deps = s.dependsOn.flatMap((d) => exitsOf(byId.get(d)!, known));
    const expander = source ? stepId(s.id, 'items') : null;
    if (expander && source) {
      const sourceExits = exitsOf(byId.get(source)!, known);
      agents.push(agentRecord(config, {
        id: expander, role: 'expander', domain: s.id, tier: 'haiku', task: `Fan stage ${s.id} out over the items stage ${source} returned`,
        scope: [], dependsOn: [...new Set([...deps, ...sourceExits])], outputFile: `gates/${expander}.md`,
      }));
      if (!Object.hasOwn(known, s.id)) { deferred.add(s.id); continue; }
    }
    const ids = stageAgentIds(s, known);
    ids.forEach((id) => {
      const item = itemOf(s, id, known);
      agents.push(withDefinition(agentRecord(config, {
        id, role: 'stage', domain: s.id, tier: s.tier,
        task: firstLine(renderTemplate(s.instructions, { params: plan.params, ...(item ? { item } : {}), stages: handoffNames })),
        // An item from a stage's return is any text; only a file item (each: {files}) is a scope.
        scope: item && !source ? [item] : s.scope, dependsOn: expander ? [...deps, expander] : deps, outputFile: `stages/${id}.md`,
      }), s.agent));
    });
    let previous = ids;
    for (const step of gateSteps(s)) {
      const reviewer = step.gate && typeof step.gate === 'object' && 'review' in step.gate ? step.gate.review : undefined;
      const role = step.kind === 'approval' || step.kind === 'check' ? 'gate' : 'auditor';
      agents.push(withDefinition(agentRecord(config, {
        id: step.id, role, domain: s.id, tier: step.kind === 'sanity' ? 'haiku' : 'sonnet', task: gateTask(s, step.kind, step.gate),
        scope: [], dependsOn: previous, outputFile: `gates/${step.id}.md`,
      }), reviewer));
      previous = [step.id];
    }
    if (s.hooks.includes('reflect')) {
      const id = stepId(s.id, 'reflect');
      agents.push(agentRecord(config, {
        id, role: 'reflector', domain: s.id, tier: 'haiku', task: gateTask(s, 'reflect', null), scope: [], dependsOn: ids, outputFile: `reflections/${id}.md`,
      }));
      reflections.push(id);
    }
  }
  if (deferred.size === 0) {
    const dependedOn = new Set(plan.stages.flatMap((s) => s.dependsOn));
    const sinks = plan.stages.filter((s) => !dependedOn.has(s.id));
    agents.push(agentRecord(config, {
      id: FINAL_ID, role: 'final', domain: null, tier: 'sonnet',
      task: `Write the summary of workflow ${plan.workflow.name} from the handoffs of ${sinks.map((s) => s.id).join(', ')}`,
      scope: [], dependsOn: [...sinks.flatMap((s) => exitsOf(s, known)), ...reflections], outputFile: 'summary.md',
    }));
  }
  const ids = agents.map((a) => a.id);
  const dupes = ids.filter((id, i) => ids.indexOf(id) !== i);
  const clash = deferred.size === 0 ? ids.filter((id) => id === FINAL_ID).length > 1 : ids.includes(FINAL_ID);
  if (clash || dupes.length) {
    throw new PlanInputError([`Agent ids of this workflow collide (${[...new Set([...(clash ? [FINAL_ID] : []), ...dupes])].join(', ')}): rename the stage whose id is one of them`]);
  }
  return { agents, groups };
}

const firstLine = (s: string): string => {
  const line = s.split('\n').map((l) => l.trim()).find(Boolean) ?? s;
  return line.length > 300 ? `${line.slice(0, 299)}…` : line;
};
