import { ENGINE_STEP_TOKENS } from '../../ledger/estimate';
import type { Pattern } from '../pattern';
import { plural } from '../../../shared/words';
import { compileWorkflow } from './compile';
import { attemptAuditor, attemptGate, attemptReflector, gateHolds } from './gates';
import { attemptExpander, roleTools } from './items';
import { WorkflowPlanFieldsSchema, validateWorkflow, type WorkflowPlan } from './plan';
import { attemptFinal, attemptStage } from './roles';

export { planFromWorkflow, type WorkflowLaunch } from './expand';
export { approvalFile, ApprovalSchema, approvalsWaiting, approveStage, isWaitingApproval, reflectionJson, waitingApprovals, type WaitingApproval } from './gates';
export { definitionsNamed, itemsFile, itemsInFile } from './items';
export type { WorkflowPlan, WorkflowStagePlan } from './plan';

/**
 * A workflow file (`.orchestration/workflows/<name>.yaml`) run as a pattern: its stages become
 * groups of stage agents (one, or one per item of `each`), each stage waiting for the gates of the
 * stages it depends on; a final step writes summary.md. Planned from the file by
 * Orchestrator.planWorkflow, never by the planner model.
 */
export const workflow: Pattern<WorkflowPlan> = {
  name: 'workflow',
  title: 'Workflow',
  whenToUse: 'a workflow file the user wrote (planned from the file, not by the planner)',
  plannedFromFile: true,
  submitSchema: WorkflowPlanFieldsSchema,
  plannerInstructions: () => 'A workflow is planned from its file, never by the planner.',
  validate: validateWorkflow,
  compile: (plan, ctx) => compileWorkflow(plan, ctx.config),
  workspaceCommands: (plan) => plan.stages.flatMap((s) => s.gates.flatMap((g) => (typeof g === 'object' && 'check' in g
    ? [{ command: g.check, source: `${plan.workflow.source} (stage ${s.id})` }] : []))),
  addLeaf: () => ({ ok: false, errors: ["A workflow's agents come from its file: add a stage or widen an `each` glob there, then run the workflow again"] }),
  view: {
    // Its groups are the file's stages; their agents are the stage agents (one, or one per item).
    shape: (count, groups) => `${plural(groups.length, 'stage')} · ${plural(count('stage'), 'stage agent')}`,
    groupsTitle: 'Stages',
    noAddWorker: 'its stages come from its workflow file',
  },
  roles: {
    stage: {
      // A stage never runs on a missing handoff; a rerun of an earlier stage reruns it.
      priority: 0, depth: 0, leaf: true, fileProvesDone: true, cached: true, needsDependenciesCompleted: true, summarisesDependencies: true,
      tokens: { input: [15_000, 70_000], output: [1_500, 7_000], inputPerDependency: [50, 400] },
      attempt: attemptStage,
    },
    auditor: {
      // A verdict is in its return, so its file alone does not prove it was given.
      priority: 1, depth: 1, leaf: false, fileProvesDone: false, cached: true, needsDependenciesCompleted: true, summarisesDependencies: true,
      tokens: { input: [3_000, 8_000], output: [200, 800], inputPerDependency: [1_000, 3_000] },
      tools: roleTools('auditor'),
      label: (a) => `Gate of ${a.domain ?? 'a stage'}`,
      holds: gateHolds,
      attempt: attemptAuditor,
    },
    gate: {
      // The engine's step (an approval, a check command): no model call, so no tokens.
      priority: 1, depth: 1, leaf: false, fileProvesDone: false, cached: false, needsDependenciesCompleted: true, summarisesDependencies: true,
      tokens: ENGINE_STEP_TOKENS,
      label: (a) => `Gate of ${a.domain ?? 'a stage'}`,
      holds: gateHolds,
      attempt: attemptGate,
    },
    expander: {
      // The engine's fan-out over a stage's returned items: no model call, so no tokens.
      priority: 2, depth: 1, leaf: false, fileProvesDone: false, cached: false, needsDependenciesCompleted: true, summarisesDependencies: true,
      tokens: ENGINE_STEP_TOKENS,
      label: (a) => `Items of ${a.domain ?? 'a stage'}`,
      holds: gateHolds,
      attempt: (ctx, agent) => attemptExpander(ctx, agent),
    },
    reflector: {
      priority: 0, depth: 1, leaf: false, fileProvesDone: false, cached: false, needsDependenciesCompleted: true, summarisesDependencies: true,
      tokens: { input: [3_000, 8_000], output: [200, 800], inputPerDependency: [1_000, 3_000] },
      tools: roleTools('reflector'),
      label: (a) => `Lessons from ${a.domain ?? 'a stage'}`,
      attempt: attemptReflector,
    },
    final: {
      priority: 2, depth: 2, leaf: false, fileProvesDone: false, cached: false, summarisesDependencies: true,
      tokens: { input: [500, 3_000], output: [500, 2_000], inputPerDependency: [100, 600] },
      label: () => 'Final summary',
      attempt: attemptFinal,
    },
  },
  prompts: [
    'workflow/stage', 'workflow/stage-shared', 'workflow/stage-user', 'workflow/auditor', 'workflow/auditor-user',
    'workflow/reflector', 'workflow/reflector-user', 'workflow/final', 'workflow/final-user',
  ],
};
