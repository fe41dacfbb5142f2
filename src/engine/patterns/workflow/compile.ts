import type { Config } from '../../config';
import type { AgentGroup, AgentRecord } from '../../types';
import { renderTemplate } from '../../workflows';
import type { WorkflowGate } from '../../workflows/schema';
import { agentRecord, PlanInputError, withDefinition, type Compiled } from '../pattern';
import type { WorkflowPlan, WorkflowStagePlan } from './plan';

export const FINAL_ID = 'final';

/** What a gate or hook is, as its agent's id suffix and role. */
export type StepKind = 'sanity' | 'approval' | 'check' | 'review' | 'reflect';

/** A stage's agent ids: the stage id alone, or `<stage>-<n>` per item of `each`. */
export const stageAgentIds = (s: Pick<WorkflowStagePlan, 'id' | 'items'>): string[] =>
  s.items === null ? [s.id] : s.items.map((_, i) => `${s.id}-${i + 1}`);

export const stepId = (stage: string, kind: StepKind, n = 1): string => `${stage}-${kind}${n > 1 ? `-${n}` : ''}`;

/** The item an agent of an `each` stage works on (null for a one-agent stage). */
export function itemOf(s: WorkflowStagePlan, agentId: string): string | null {
  if (s.items === null) return null;
  const n = Number(agentId.slice(s.id.length + 1));
  return s.items[n - 1] ?? null;
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
export function exitsOf(s: WorkflowStagePlan): string[] {
  const steps = gateSteps(s);
  return steps.length ? [steps[steps.length - 1].id] : stageAgentIds(s);
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
 */
export function compileWorkflow(plan: WorkflowPlan, config: Config): Compiled {
  const agents: AgentRecord[] = [];
  const groups: AgentGroup[] = [];
  const byId = new Map(plan.stages.map((s) => [s.id, s]));
  const reflections: string[] = [];
  // A task line is shown before any handoff exists: it names the handoff instead.
  const handoffNames = Object.fromEntries(plan.stages.map((s) => [s.id, `(the handoff of stage ${s.id})`]));
  for (const s of plan.stages) {
    const n = s.items?.length ?? 1;
    groups.push({ id: s.id, label: `${s.id}${s.items ? ` (${n} × ${s.agent ?? 'agent'})` : s.agent ? ` (${s.agent})` : ''}` });
    const deps = s.dependsOn.flatMap((d) => exitsOf(byId.get(d)!));
    const ids = stageAgentIds(s);
    ids.forEach((id) => {
      const item = itemOf(s, id);
      agents.push(withDefinition(agentRecord(config, {
        id, role: 'stage', domain: s.id, tier: s.tier,
        task: firstLine(renderTemplate(s.instructions, { params: plan.params, ...(item ? { item } : {}), stages: handoffNames })),
        scope: item ? [item] : s.scope, dependsOn: deps, outputFile: `stages/${id}.md`,
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
  const clash = agents.find((a) => a.id === FINAL_ID);
  const dupes = agents.map((a) => a.id).filter((id, i, all) => all.indexOf(id) !== i);
  if (clash || dupes.length) {
    throw new PlanInputError([`Agent ids of this workflow collide (${[...new Set([...(clash ? [FINAL_ID] : []), ...dupes])].join(', ')}): rename the stage whose id is one of them`]);
  }
  const dependedOn = new Set(plan.stages.flatMap((s) => s.dependsOn));
  const sinks = plan.stages.filter((s) => !dependedOn.has(s.id));
  agents.push(agentRecord(config, {
    id: FINAL_ID, role: 'final', domain: null, tier: 'sonnet',
    task: `Write the summary of workflow ${plan.workflow.name} from the handoffs of ${sinks.map((s) => s.id).join(', ')}`,
    scope: [], dependsOn: [...sinks.flatMap(exitsOf), ...reflections], outputFile: 'summary.md',
  }));
  return { agents, groups };
}

const firstLine = (s: string): string => {
  const line = s.split('\n').map((l) => l.trim()).find(Boolean) ?? s;
  return line.length > 300 ? `${line.slice(0, 299)}…` : line;
};
