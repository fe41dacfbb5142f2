import type { Config } from '../../config';
import type { Pattern } from '../pattern';
import { compileFanOut } from './compile';
import { FanOutSubmitSchema, isFanOutPlan, validateFanOut, type FanOutPlan } from './plan';
import { addFanOutWorker } from './addLeaf';
import { attemptCoordinator, attemptFinal, attemptWorker, workerPackable } from './roles';
import { plural } from '../../../shared/words';

/** Tiered fan-out: domains × workers → one coordinator per domain → the final synthesis. */
export const fanOut: Pattern<FanOutPlan> = {
  name: 'fan-out',
  title: 'Fan-out',
  whenToUse: 'independent subtasks over a codebase (audit, document, review many parts at once)',
  submitSchema: FanOutSubmitSchema,
  plannerInstructions: (config: Config) => [
    `Split the task into ${config.domains.min}–${config.domains.max} domains. Each domain has ${config.workersPerDomain.min}–${config.workersPerDomain.max}`,
    'workers. A worker has exactly one narrow, concrete task and a scope: files or folders that exist in',
    'the workspace overview (use the paths exactly as listed; never invent one).',
    'Ids: domains are single letters in order (`a`, `b`, `c` …); workers are the domain letter and a',
    'number (`a1`, `a2` …). Give each domain a short name and a brief that every worker in it will read.',
  ].join('\n'),
  validate: validateFanOut,
  compile: (plan, ctx) => compileFanOut(plan, ctx.config),
  addLeaf: addFanOutWorker,
  findingsFrom: ['coordinator', 'final'],
  view: {
    shape: (count, groups) => `${plural(groups.length, 'domain')} · ${plural(count('worker'), 'worker')}`,
    // Domains keep their letter; a domain the ledger does not list is named by it.
    groupLabel: (g) => (g.label.startsWith('Domain ') ? g.label : `${g.id.toUpperCase()} · ${g.label}`),
    unlistedGroupLabel: (id) => `Domain ${id}`,
    groupSummary: 'coordinator',
    synthesisRoles: ['coordinator'],
    groupsTitle: 'Domains',
    editable: { kind: 'groups', key: 'domains', itemsKey: 'workers', groupNoun: 'domain', itemNoun: 'worker' },
    addWorker: { noun: 'worker' },
    measuresParentContext: true,
    groupBrief: (plan, id) => (isFanOutPlan(plan) ? plan.domains.find((d) => d.id === id)?.brief : undefined),
    planGroups: (plan) => (isFanOutPlan(plan) ? plan.domains.map((d) => ({ id: d.id, label: d.name })) : []),
  },
  roles: {
    worker: {
      // Batchable when its scope is a few files the engine can pack into one request.
      priority: 0, depth: 0, leaf: true, fileProvesDone: true, cached: true, batchable: workerPackable,
      tokens: { input: [15_000, 70_000], output: [1_500, 7_000], inputPerDependency: [0, 0] },
      attempt: attemptWorker,
    },
    coordinator: {
      // Batchable once its inputs exist (it runs after its workers): their files go into the prompt.
      // A function, so only coordinators the plan marked work single-turn.
      priority: 1, depth: 1, leaf: false, fileProvesDone: false, cached: true, summarisesDependencies: true, batchable: () => true,
      tokens: { input: [3_000, 8_000], output: [1_500, 5_000], inputPerDependency: [4_000, 15_000] },
      label: (a) => `Coordinator ${a.domain ?? ''}`.trim(),
      attempt: attemptCoordinator,
    },
    final: {
      priority: 2, depth: 2, leaf: false, fileProvesDone: false, cached: false, summarisesDependencies: true,
      tokens: { input: [500, 2_000], output: [500, 2_000], inputPerDependency: [100, 600] },
      label: () => 'Final summary',
      attempt: attemptFinal,
    },
  },
  prompts: [
    'fan-out/worker', 'fan-out/worker-shared', 'fan-out/worker-user', 'fan-out/worker-packed', 'fan-out/worker-packed-user',
    'fan-out/coordinator', 'fan-out/coordinator-user', 'fan-out/coordinator-packed', 'fan-out/coordinator-packed-user',
    'fan-out/final', 'fan-out/final-user',
  ],
};
