import type { Pattern } from '../pattern';
import { compilePipeline, handoffFile } from './compile';
import { HANDOFF_MAX_WORDS } from './handoff';
import { PipelineSubmitSchema, STAGES, validatePipeline, type PipelinePlan } from './plan';
import { attemptFinal, attemptStage } from './roles';
import { plural } from '../../../shared/words';

/**
 * Ordered stages, each given only the previous stage's handoff; a stage that fails stops the
 * ones after it (they are skipped, never run on missing input), and the final step reads only
 * the last handoff.
 */
export const pipeline: Pattern<PipelinePlan> = {
  name: 'pipeline',
  title: 'Pipeline',
  demo: { task: 'Document src step by step: research → outline → draft → review' },
  whenToUse: "sequential steps where each needs the previous step's output (research → outline → draft → review)",
  submitSchema: PipelineSubmitSchema,
  plannerInstructions: () => [
    `Split the task into ${STAGES.min}–${STAGES.max} ordered stages; each stage does one step and needs the output of`,
    'the stage before it. A stage sees only the previous stage\'s handoff (summary, state, next action,',
    `artifacts; at most ${HANDOFF_MAX_WORDS} words), never earlier stages, so give each stage a task that can be done`,
    'from that handoff and its own scope.',
    'Ids: stages are `s1`, `s2` … in order. Give each stage a short name ("Research", "Outline" …), a task,',
    'and a scope: files or folders from the workspace overview that it must read (may be empty for a',
    'stage that only works from its handoff, such as a draft or a review of the draft).',
  ].join('\n'),
  validate: validatePipeline,
  compile: (plan, ctx) => compilePipeline(plan, ctx.config),
  addLeaf: () => ({ ok: false, errors: ["A pipeline's stages are one chain, each reading only the stage before it: a stage added at the end would change what the final step reads. Rerun a stage with an instruction, or plan the task again"] }),
  view: {
    groupsTitle: 'Stages',
    editable: { kind: 'list', key: 'stages', groupId: 'stages', title: 'Stages', noun: 'stage', idPrefix: 's', labelKey: 'name', addLabel: 'Stage name', renumber: true },
    card: { kind: 'handoffs', role: 'stage', handoffFile },
    noAddWorker: 'its stages run in order from the plan',
    shape: (count) => plural(count('stage'), 'stage'),
    groupLabel: (g, i) => `${i + 1}. ${g.label}`,
  },
  roles: {
    stage: {
      // A stage builds on the previous stage's handoff: when that stage runs again, so does this one.
      priority: 0, depth: 0, leaf: true, cached: true, needsDependenciesCompleted: true, summarisesDependencies: true,
      // A stage's file alone does not prove it finished: its handoff must also have passed the check.
      fileProvesDone: false,
      tokens: { input: [12_000, 60_000], output: [1_500, 7_000], inputPerDependency: [500, 6_000] },
      attempt: attemptStage,
    },
    final: {
      priority: 1, depth: 1, leaf: false, fileProvesDone: false, cached: false, needsDependenciesCompleted: true, summarisesDependencies: true,
      tokens: { input: [500, 2_000], output: [500, 2_000], inputPerDependency: [300, 1_500] },
      label: () => 'Final summary',
      attempt: attemptFinal,
    },
  },
  prompts: ['pipeline/stage', 'pipeline/stage-shared', 'pipeline/stage-user', 'pipeline/final', 'pipeline/final-user'],
};
