/**
 * A pattern's view declaration (Pattern.view): everything the tree, the Summary, the dashboard,
 * the plan editor, the agent commands and the CLI report show about its runs, so no view switches
 * on a pattern's name. Types only: each pattern's folder fills them in.
 */
import type { AgentGroup, AgentRecord, AgentRole, Tier } from '../types';
import type { BasePlan } from './pattern';

/**
 * What the views show of a pattern's runs, declared by the pattern so that no view switches on
 * its name (the tree, the Summary, the dashboard, the plan editor, the agent commands, the CLI
 * report). Every member is optional: unset, a view shows the run generically (its groups as the
 * ledger labels them, its agents by task).
 */
export interface PatternView {
  /**
   * The run's shape in a few words, for the Plan node ("4 stages", "250 mappers · 2 reduce
   * levels"); `count` counts the run's agents of a role. Unset: "N groups · N agents".
   */
  shape?(count: (role: AgentRole) => number, groups: readonly AgentGroup[]): string;
  /** A group's label as views show it (a pipeline stage with its number); unset, the group's own label. */
  groupLabel?(group: AgentGroup, index: number): string;
  /** What to call a group an agent names that neither the ledger nor the plan lists; unset, its id. */
  unlistedGroupLabel?(id: string): string;
  /** The groups of a plan whose ledger predates groups (fan-out's domains); unset, none. */
  planGroups?(plan: BasePlan & Record<string, unknown>): AgentGroup[];
  /** The brief a group's agents share, from the plan (a fan-out domain's), shown in the group's tooltip. */
  groupBrief?(plan: BasePlan & Record<string, unknown>, groupId: string): string | undefined;
  /**
   * The role whose agent sums up its group (a fan-out domain's coordinator): listed after the
   * rest of its group, and its return shown as the group's synthesis in the Summary.
   */
  groupSummary?: AgentRole;
  /** Roles whose files synthesise other agents' work (coordinators, reducers, a consensus): what a run's result over MCP points to besides summary.md. */
  synthesisRoles?: readonly AgentRole[];
  /** What the Summary calls the list of groups ("Domains", "Stages"); unset, "Groups". */
  groupsTitle?: string;
  /**
   * The Summary's card for the pattern, one of the kinds the webview knows, with the roles and
   * run-folder files (its artifacts) it reads. Unset, the Summary shows the groups alone.
   */
  card?: CardDecl;
  /** What the plan editor may change before approval; unset, the plan is approved or declined as it is. */
  editable?: PlanEditDecl;
  /**
   * Add Worker on its finished runs (through Pattern.addLeaf): what the new agent is called and
   * what the user is asked for it. Unset, the command says why not (`noAddWorker`).
   */
  addWorker?: AddWorkerView;
  /** Why its runs take no added worker, when `addWorker` is unset ("its supervisor spawns workers itself"). */
  noAddWorker?: string;
  /**
   * Its runs propose a change to the code (build: changes.patch): the tree shows the change,
   * the views offer Apply, Discard and Ship, and deleting a run removes its worktrees.
   */
  producesChanges?: boolean;
  /**
   * The roles of the steps a proposed change goes through (build): the dashboard's board and the
   * Summary place each builder's change by them, and Ship requires the steps after the builders.
   */
  changeSteps?: ChangeStepsDecl;
  /** Its final step measures the parent's context against a flat read of every leaf file (fan-out), so views show both, even before it runs. */
  measuresParentContext?: boolean;
}

/**
 * A Summary card as a pattern declares it: a kind the webview renders, and where its data is.
 * Files are run-folder-relative; a missing or malformed one leaves its part of the card empty.
 */
export type CardDecl =
  /** Every agent of `role` in order with the `Summary` of its handoff file (a pipeline's stages); the groups are not listed again. */
  | { kind: 'handoffs'; role: AgentRole; handoffFile(agentId: string): string }
  /**
   * Leaves done of total, then each level of combiners (map-reduce's mappers, its reduce
   * levels), and what the selection file (`selection.json`) left out and why. Shown with the plan too.
   */
  | { kind: 'progress'; leaf: AgentRole; level(agent: Pick<AgentRecord, 'role' | 'domain'>): number | null; selectionFile: string }
  /** One row per round (an agent of `round`): its status, the agents of `spawned` in its group, and its prompt size from the conversation file. */
  | { kind: 'rounds'; round: AgentRole; spawned: AgentRole; roundOf(agent: Pick<AgentRecord, 'id' | 'domain'>): number; conversationFile: string }
  /** The engine's tally of structured verdicts (a panel's `tally.json`) as a table; progress over `role` until it exists. */
  | { kind: 'verdicts'; role: AgentRole; tallyFile: string };

/**
 * Where a pattern's plan keeps the agents the plan editor may change (their task and tier), and
 * whether the user may remove or add one. Keys name plan fields; the engine validates the edited
 * plan with the pattern's own schema and checks before it is approved.
 */
export type PlanEditDecl =
  /**
   * Groups of agents (fan-out's domains with their workers): each agent's task and tier, remove
   * one, add one to a group. A group is shown as `A · name` with its brief.
   */
  | { kind: 'groups'; key: string; itemsKey: string; groupNoun: string; itemNoun: string }
  /**
   * One list of agents (a pipeline's stages, a panel's experts), shown as one group: each has a
   * label (`labelKey`, asked as `addLabel` for a new one) and an id `idPrefix` + number;
   * `renumber` gives the ids again in order after an add or a remove (stages: s1, s2 …).
   */
  | {
    kind: 'list'; key: string; groupId: string; title: string; briefKey?: string; noun: string; idPrefix: string;
    labelKey: string; addLabel: string; renumber?: boolean;
  }
  /**
   * One agent the engine multiplies or that works alone (map-reduce's mappers, the supervisor, a
   * single agent): its tier and task are plan fields (`taskKey` null: the run's task, not editable).
   */
  | {
    kind: 'fields'; groupId: string; title: string; brief: string | null; id: string; tierKey: string; defaultTier: Tier;
    taskKey: string | null; scopeKey: string; noAdd?: string;
  };

/** The roles of a change's steps (see PatternView.changeSteps); any may be absent from a run. */
export interface ChangeStepsDecl {
  /** Agents that change code, one card each on the board. */
  builder: AgentRole;
  /** Reviews a builder's change (its dependency): approves or turns it down. */
  reviewer: AgentRole;
  /** The check of the assembled change (an engine step). */
  integration: AgentRole;
  /** Repairs what the integration check reported. */
  fixer: AgentRole;
  /** Audits the combined change. */
  hardener: AgentRole;
  /** Assembles the approved change (changes.patch). */
  assembly: AgentRole;
}

/** How Add Worker asks for a pattern's new leaf agent (see PatternView.addWorker). */
export interface AddWorkerView {
  /** What the new agent is called in titles and prompts: "worker", "mapper", "expert". */
  noun: string;
  /** The groups a new agent may join (map-reduce: the map, never a reduce level); unset, every group. */
  joins?(group: AgentGroup): boolean;
  /** The user names the perspective it judges from first (a panel expert). */
  perspective?: boolean;
  /** Its scope is files, not folders (a mapper reads the files it is given). */
  filesOnly?: boolean;
}
