import type { Pattern } from '../pattern';
import { compilePanel, TALLY_FILE } from './compile';
import { PANEL_EXPERTS, PanelSubmitSchema, validatePanel, type PanelPlan } from './plan';
import { addPanelExpert } from './addLeaf';
import { attemptConsensus, attemptExpert, expertPackable } from './roles';
import { plural } from '../../../shared/words';

/** Expert panel: 3–7 independent experts with distinct perspectives → the engine's tally → consensus. */
export const panel: Pattern<PanelPlan> = {
  name: 'panel',
  title: 'Expert panel',
  demo: { task: 'Is this shop ready for production?' },
  whenToUse: 'a judgement where decision quality matters more than speed, answered by independent expert opinions '
    + '("is this design ready for production?", "should we adopt X?")',
  submitSchema: PanelSubmitSchema,
  plannerInstructions: () => [
    'Phrase `question` as one question the experts answer with yes, no or conditional ("Is the order',
    'service ready for production?"); put what is being judged and where it lives in `brief`.',
    `Choose ${PANEL_EXPERTS.min}–${PANEL_EXPERTS.max} experts, ids \`e1\`, \`e2\` … in order. Each has a distinct \`perspective\``,
    '(a role such as "security reviewer", "SRE", "maintainer"; never two alike), a `task` saying what that',
    'perspective examines, an optional `scope` (files or folders from the overview; empty = the whole',
    'workspace or focus) and a tier. Experts work independently and never see each other\'s answers.',
    'Omit `quorum` unless the task says how many experts must answer (default: more than half).',
  ].join('\n'),
  validate: validatePanel,
  compile: (plan, ctx) => compilePanel(plan, ctx.config),
  addLeaf: addPanelExpert,
  findingsFrom: ['consensus'],
  view: {
    groupsTitle: 'Experts',
    synthesisRoles: ['consensus'],
    editable: { kind: 'list', key: 'experts', groupId: 'experts', title: 'Experts', briefKey: 'question', noun: 'expert', idPrefix: 'e', labelKey: 'perspective', addLabel: 'Perspective' },
    card: { kind: 'verdicts', role: 'expert', tallyFile: TALLY_FILE },
    addWorker: { noun: 'expert', perspective: true },
    shape: (count) => plural(count('expert'), 'expert'),
  },
  roles: {
    expert: {
      // fileProvesDone is false: a file can end with the sentinel yet hold an invalid verdict, so
      // resume trusts it only with a recorded return (set once the verdict validated).
      priority: 0, depth: 0, leaf: true, fileProvesDone: false, cached: true, batchable: expertPackable,
      tokens: { input: [15_000, 70_000], output: [1_500, 7_000], inputPerDependency: [0, 0] },
      attempt: attemptExpert,
    },
    consensus: {
      priority: 1, depth: 1, leaf: false, fileProvesDone: false, summarisesDependencies: true, cached: true,
      tokens: { input: [4_000, 10_000], output: [1_500, 5_000], inputPerDependency: [2_000, 8_000] },
      label: () => 'Consensus',
      attempt: attemptConsensus,
    },
  },
  prompts: ['panel/expert', 'panel/expert-shared', 'panel/expert-user', 'panel/expert-packed', 'panel/expert-packed-user', 'panel/consensus', 'panel/consensus-user'],
};
