import { ENGINE_STEP_TOKENS } from '../../ledger/estimate';
import { repoInfo } from '../../git';
import { BUILDER_TOOL_NAMES } from '../../tools/tools';
import { attemptReportingAgent } from '../kit';
import type { Pattern } from '../pattern';
import { architectureDocuments, attemptArchitect } from './architect';
import { scoutThenAssign } from './assign';
import { attemptAssemble } from './assemble';
import { attemptBuilder } from './builder';
import { attemptHardener } from './harden';
import { attemptFix, attemptIntegration } from './integration';
import { compileBuild } from './compile';
import { BUILD_EXTRAS, BUILD_SCOUTS, BuildSubmitSchema, validateBuild, type BuildPlan } from './plan';
import { attemptReviewer } from './review';
import { attemptScaffold } from './scaffold';
import { plural } from '../../../shared/words';

/** How the planner signals greenfield (the engine also decides it alone for a near-empty repository: isGreenfieldRepo). */
const GREENFIELD_INSTRUCTION = 'Set `greenfield: true` when the task creates new software rather than changing what exists ("Build a small billing '
  + 'service …"): an architect then designs its modules and interfaces for the user to approve, and a scaffold commits the shared skeleton before the builders start.';
const GREENFIELD_PROMPTS = ['build/architect', 'build/architect-user', 'build/scaffold', 'build/scaffold-user'] as const;

/**
 * Build: scouts find where a change lands → the planner gives each builder a disjoint set of files
 * → builders change them in parallel, each in its own git worktree and branch → the user's check
 * command → reviewers → the integration check on the assembled tree (a fixer repairs it, bounded)
 * → hardeners audit the combined change → the engine writes changes.patch, which the user applies
 * or discards. Nothing reaches the user's working tree before Apply.
 */
export const build: Pattern<BuildPlan> = {
  name: 'build',
  title: 'Build',
  // The build demo checks each builder's worktree and the assembled tree with the shop's own test,
  // so the whole pipeline (integration check, fixer, hardening) shows.
  demo: { task: 'Add a doc comment to every source file', settings: { verifyCommand: 'node test/orders.test.js' } },
  whenToUse: 'a change to the code across files ("migrate every caller to the new SDK", "add input validation to every handler", '
    + '"update the HTML titles"): builders edit files in isolated git worktrees and the user applies the result',
  submitSchema: BuildSubmitSchema,
  planExtras: BUILD_EXTRAS,
  plannerInstructions: () => [
    'Describe the change in `brief` as builders and reviewers should understand it (what, where, what must not change).',
    `Choose ${BUILD_SCOUTS.min}–${BUILD_SCOUTS.max} scouts, ids \`s1\`, \`s2\` …; each searches one \`scope\` (folders or files`,
    'from the overview) for the exact files and lines the change touches. Scouts only read. Do not assign builders',
    'now: once the scouts have reported you will be asked to give each builder the files it owns.',
    GREENFIELD_INSTRUCTION,
  ].join('\n'),
  validate: validateBuild,
  compile: (plan, ctx) => compileBuild(plan, ctx.config),
  precheck: async (workspace) => { await repoInfo(workspace); },
  runsVerifyCommand: true,
  beforeApproval: scoutThenAssign,
  reviewDocuments: architectureDocuments,
  view: {
    producesChanges: true,
    changeSteps: { builder: 'builder', reviewer: 'reviewer', integration: 'integration', fixer: 'fixer', hardener: 'hardener', assembly: 'final' },
    shape: (count) => `${plural(count('scout'), 'scout')} · ${plural(count('builder'), 'builder')}`,
  },
  roles: {
    scout: {
      priority: 0, depth: 0, leaf: true, fileProvesDone: true, cached: true,
      tokens: { input: [8_000, 40_000], output: [800, 3_000], inputPerDependency: [0, 0] },
      attempt: (ctx, agent, previousError, signal) => attemptReportingAgent(ctx, agent, previousError, signal, {
        system: ctx.prompts.render('build/scout', {}),
        user: (outputFile, retry) => ctx.prompts.render('build/scout-user', {
          task: ctx.plan.task, brief: ctx.plan.brief || '(none)', agentId: agent.id, agentTask: agent.task,
          scope: agent.scope.join(', ') || (ctx.plan.focus.length ? ctx.plan.focus.join(', ') : 'the whole workspace'), outputFile, retryNote: retry,
        }),
      }),
    },
    builder: {
      priority: 1, depth: 1, leaf: true, fileProvesDone: true, cached: true,
      tokens: { input: [20_000, 120_000], output: [2_000, 16_000], inputPerDependency: [0, 0] },
      // A greenfield builder waits for the scaffold and never builds on a skeleton that failed.
      needsDependenciesCompleted: true,
      tools: BUILDER_TOOL_NAMES,
      attempt: attemptBuilder,
    },
    ...greenfieldRoles(),
    reviewer: {
      priority: 2, depth: 2, leaf: false, fileProvesDone: true, summarisesDependencies: true, needsDependenciesCompleted: true, cached: false,
      tokens: { input: [3_000, 25_000], output: [300, 1_500], inputPerDependency: [0, 0] },
      attempt: attemptReviewer,
    },
    integration: {
      // The engine's merge and the check on the assembled tree: no model call, so no tokens.
      priority: 3, depth: 3, leaf: false, fileProvesDone: true, summarisesDependencies: true, cached: false,
      tokens: ENGINE_STEP_TOKENS,
      label: () => 'Integration check',
      attempt: attemptIntegration,
    },
    fixer: {
      // Nothing to fix costs nothing; a failing check costs up to fixRounds conversations over the combined diff.
      priority: 3, depth: 4, leaf: false, fileProvesDone: true, summarisesDependencies: true, cached: true,
      tokens: { input: [0, 150_000], output: [0, 12_000], inputPerDependency: [0, 0] },
      label: () => 'Fixer',
      attempt: attemptFix,
    },
    hardener: {
      // One forced call each over the combined diff, which three of the four read from the cache.
      priority: 3, depth: 5, leaf: false, fileProvesDone: true, summarisesDependencies: true, cached: true,
      tokens: { input: [3_000, 40_000], output: [200, 2_500], inputPerDependency: [0, 0] },
      attempt: attemptHardener,
    },
    final: {
      // The engine's last step; a major finding's fix round is the builder's own (counted on it).
      priority: 3, depth: 6, leaf: false, fileProvesDone: true, summarisesDependencies: true, cached: false,
      tokens: ENGINE_STEP_TOKENS,
      label: () => 'Assembly: changes.patch',
      attempt: (ctx, agent, _previousError, signal) => attemptAssemble(ctx, agent, signal),
    },
  },
  prompts: [
    'build/scout', 'build/scout-user', 'build/assign', 'build/assign-user', 'build/builder', 'build/builder-shared', 'build/builder-user',
    'build/reviewer', 'build/reviewer-user', 'build/fixer', 'build/fixer-user', 'build/hardener', 'build/hardener-shared', 'build/hardener-user',
    ...GREENFIELD_PROMPTS,
  ],
};

/** Greenfield's roles (issue 17 item 5): the architect runs before approval, the scaffold first after it. */
function greenfieldRoles(): Pick<Pattern<BuildPlan>['roles'], 'architect' | 'scaffolder'> {
  return {
    architect: {
      priority: 0, depth: 0, leaf: false, fileProvesDone: true, cached: true,
      tokens: { input: [6_000, 30_000], output: [1_500, 6_000], inputPerDependency: [0, 0] },
      label: () => 'Architect: architecture.md',
      attempt: attemptArchitect,
    },
    scaffolder: {
      // Every builder waits for it: first among ready agents.
      priority: 5, depth: 0, leaf: false, fileProvesDone: true, cached: true,
      tokens: { input: [10_000, 60_000], output: [2_000, 10_000], inputPerDependency: [0, 0] },
      label: () => 'Scaffold: the shared skeleton',
      attempt: attemptScaffold,
    },
  };
}
