import type { Config } from '../../config';
import type { Pattern } from '../pattern';
import { compileMapReduce, MAP_GROUP, SELECTION_FILE } from './compile';
import { DEFAULT_FAN_IN, DEFAULT_FILES_PER_MAPPER, DEFAULT_MAPPER_TOKENS, MapReduceSubmitSchema, thousands, validateMapReduce, type MapReducePlan } from './plan';
import { addMapper } from './addLeaf';
import { attemptFinal, attemptMapper, attemptReducer } from './roles';
import { plural } from '../../../shared/words';

/**
 * Map-reduce: one question over many files. The engine selects the files (include/exclude globs
 * over the guarded walk), cuts them into mappers by size, and reduces the mappers' answers in a
 * tree of reducers with at most K inputs each, until one answer is left for the final step.
 */
export const mapReduce: Pattern<MapReducePlan> = {
  name: 'map-reduce',
  title: 'Map-reduce',
  demo: { task: 'Rate the comments in every .js file' },
  whenToUse: 'one question asked of many files, each answered on its own, then combined (rate the comments in every .ts file, list what each module exports)',
  submitSchema: MapReduceSubmitSchema,
  plannerInstructions: (_config: Config) => [
    'Give the one `question` every mapper answers for each of its files, and `include` globs for the',
    'files to ask it of (relative to the workspace root, e.g. `**/*.ts` or `src/**/*.py`; match files the',
    'workspace overview lists), and `exclude` globs for files to leave out (tests, generated code) when',
    'the task says so. The engine selects the files, leaves out binary, secret, empty and too-large ones,',
    `and cuts them into mappers of at most \`mapperTokens\` (default ${thousands(DEFAULT_MAPPER_TOKENS)}) tokens and \`filesPerMapper\``,
    `(default ${DEFAULT_FILES_PER_MAPPER}) files; reducers combine at most \`fanIn\` (default ${DEFAULT_FAN_IN}) answers each. Leave these three at their`,
    'defaults unless the task asks otherwise. `mapperTier`: haiku for simple per-file questions, sonnet',
    'when each file needs judgement.',
  ].join('\n'),
  validate: validateMapReduce,
  compile: compileMapReduce,
  addLeaf: addMapper,
  findingsFrom: ['final', 'reducer'],
  view: {
    groupsTitle: 'Map and reduce',
    synthesisRoles: ['reducer'],
    editable: {
      kind: 'fields', groupId: MAP_GROUP, title: 'Mappers', brief: 'The engine selects and partitions the files; every mapper asks this question of its files.',
      id: 'mappers', tierKey: 'mapperTier', defaultTier: 'haiku', taskKey: 'question', scopeKey: 'include',
    },
    card: { kind: 'progress', leaf: 'mapper', level: (a) => (a.role === 'reducer' ? Number(/^reduce-(\d+)$/.exec(a.domain ?? '')?.[1] ?? 1) : null), selectionFile: SELECTION_FILE },
    // New mappers join the map; the reduce levels are the engine's.
    addWorker: { noun: 'mapper', joins: (g) => g.id === MAP_GROUP, filesOnly: true },
    shape: (count, groups) => `${plural(count('mapper'), 'mapper')} · ${plural(groups.filter((g) => g.id !== MAP_GROUP).length, 'reduce level')}`,
  },
  roles: {
    mapper: {
      priority: 0, depth: 0, leaf: true, fileProvesDone: true, cached: true, batchable: true,
      tokens: { input: [5_000, 65_000], output: [500, 4_000], inputPerDependency: [0, 0] },
      attempt: attemptMapper,
    },
    // Every level of reducers has this one spec: a level waits for its inputs, whatever the mode.
    reducer: {
      priority: 1, depth: 1, leaf: false, fileProvesDone: true, cached: false, summarisesDependencies: true, batchable: true,
      tokens: { input: [1_000, 2_000], output: [800, 3_000], inputPerDependency: [800, 4_000] },
      attempt: attemptReducer,
    },
    final: {
      priority: 2, depth: 2, leaf: false, fileProvesDone: false, cached: false, summarisesDependencies: true,
      tokens: { input: [1_000, 2_500], output: [500, 2_000], inputPerDependency: [800, 4_000] },
      label: () => 'Final summary',
      attempt: attemptFinal,
    },
  },
  prompts: [
    'map-reduce/question', 'map-reduce/mapper', 'map-reduce/mapper-user', 'map-reduce/reducer',
    'map-reduce/reducer-user', 'map-reduce/final', 'map-reduce/final-user',
  ],
};
