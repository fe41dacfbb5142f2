import type { Config } from '../../config';
import type { Pattern } from '../pattern';
import { compileSupervisor } from './compile';
import { CONVERSATION_FILE } from './state';
import { LIMIT_CEILINGS, SupervisorSubmitSchema, validateSupervisor, type SupervisorPlan } from './plan';
import { attemptSupervisor, attemptWorker } from './roles';
import { plural } from '../../../shared/words';

/**
 * Supervisor: one agent spawns workers a few at a time by tool, sleeps while they run (each round
 * is its own record, so it holds no slot), wakes on their one-sentence returns, decides the next
 * step and finishes with the summary. Rounds, spawns and budget are capped by the engine.
 */
export const supervisor: Pattern<SupervisorPlan> = {
  name: 'supervisor',
  title: 'Supervisor',
  demo: { task: 'Investigate why checkout fails' },
  whenToUse: 'complex work that needs judgment between steps (investigate, triage, follow leads: what to look at next depends on what was found)',
  submitSchema: SupervisorSubmitSchema,
  plannerInstructions: (_config: Config) => [
    'Do not list the workers: a supervisor agent spawns them a few at a time and decides each next step from',
    'their one-sentence returns. Give it a `brief` (how to approach the task, what to look at first, when it is',
    'done) and `areas`: 1–20 files or folders from the workspace overview to start from (paths exactly as',
    `listed). \`limits\` caps rounds (≤ ${LIMIT_CEILINGS.rounds}), workers per round (≤ ${LIMIT_CEILINGS.perRound}), workers in all`,
    `(≤ ${LIMIT_CEILINGS.workers}) and tokens; omit it for the defaults (4 rounds, 4 per round, 12 in all).`,
  ].join('\n'),
  validate: validateSupervisor,
  compile: (plan, ctx) => compileSupervisor(plan, ctx.config),
  addLeaf: () => ({ ok: false, errors: ['The supervisor decides which workers to spawn, round by round; ask it (Ask Agent on its last round) or plan the task again'] }),
  view: {
    groupsTitle: 'Rounds',
    editable: {
      kind: 'fields', groupId: 'supervisor', title: 'Supervisor', brief: 'The supervisor spawns its workers while it runs, under the plan\'s limits.',
      id: 'supervisor', tierKey: 'tier', defaultTier: 'sonnet', taskKey: 'brief', scopeKey: 'areas', noAdd: 'the supervisor spawns them while it runs',
    },
    card: { kind: 'rounds', round: 'supervisor', spawned: 'worker', roundOf: (a) => Number(/^r(\d+)$/.exec(a.domain ?? '')?.[1] ?? /(\d+)$/.exec(a.id)?.[1] ?? 0), conversationFile: CONVERSATION_FILE },
    noAddWorker: 'its supervisor spawns workers itself',
    shape: (count) => `${plural(count('supervisor'), 'round')} · ${plural(count('worker'), 'worker')}`,
  },
  roles: {
    worker: {
      priority: 0, depth: 0, leaf: true, fileProvesDone: true, cached: true,
      tokens: { input: [15_000, 70_000], output: [1_500, 7_000], inputPerDependency: [0, 0] },
      attempt: attemptWorker,
    },
    supervisor: {
      // Rounds outrank workers: a waking supervisor decides the next batch while slots are free.
      priority: 1, depth: 1, leaf: false, fileProvesDone: false, cached: true,
      noRerun: 'a supervisor round replays the decision recorded in supervisor/conversation.json, so running it again changes nothing; rerun one of its workers instead',
      // The plan holds only round 1, so its range covers the whole run it will grow into: about
      // 4–12 workers (the default limits) and the rounds that read their returns.
      tokens: { input: [65_000, 900_000], output: [7_000, 90_000], inputPerDependency: [50, 400] },
      attempt: attemptSupervisor,
    },
  },
  prompts: ['supervisor/supervisor', 'supervisor/supervisor-user', 'supervisor/returns', 'supervisor/worker', 'supervisor/worker-user'],
};
