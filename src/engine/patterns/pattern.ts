import { z } from 'zod';
import type { AgentDefinition } from '../agents/definition';
import type { RunDefinition } from '../agents/catalog';
import type { Config } from '../config';
import type { Finding } from '../pipelineFiles';
import type { Ledger } from '../ledger/ledger';
// A role's cost fields are declared in the ledger's estimate, which prices them (see RoleCost).
import type { RoleCost } from '../ledger/estimate';
import type { RequestPolicy } from '../model/requests';
import type { Prompts } from '../prompts';
import type { AgentTranscript, Transcripts } from '../transcripts/writer';
import type { AgentGroup, AgentRecord, AgentRole, PatternName, Tier, Usage } from '../types';
import type { PatternView } from './view';

/**
 * What every plan has, whatever its pattern. The planner submits the pattern's own fields; the
 * engine adds these (task, pattern, the planner's reason, the focus) before validating the whole.
 */
export const BasePlanSchema = z.object({
  /** One of the registry's patterns: validatePlan looks the name up before this schema applies. */
  pattern: z.string().min(1),
  task: z.string().trim().min(1),
  /** Why the planner chose this pattern, in one sentence (shown with the plan). */
  reason: z.string().trim().max(600).default(''),
  /** Workspace folders the run is confined to (Orchestrate Task on Folder, `--focus`); empty = all. */
  focus: z.array(z.string().trim().min(1)).default([]),
});
export type BasePlan = z.infer<typeof BasePlanSchema>;

/** What planning knows while it validates: the settings, the focus and the real workspace. */
export interface PlanningContext {
  config: Config;
  focus: readonly string[];
  scopeExists: (p: string) => boolean;
  /** The findings a build fixes (Fix Findings, findings.json): its scouts and builders are checked against them. */
  findings?: readonly Finding[];
  /** The user's agent definitions (`.claude/agents`): a plan's `agent` fields must name one. Unset: not checked. */
  agentDefinitions?: readonly Pick<AgentDefinition, 'name' | 'description' | 'model'>[];
}

/** What compiling a plan may look at besides the plan (map-reduce selects files itself). */
export interface CompileContext {
  workspace: string;
  config: Config;
}

export interface Compiled {
  agents: AgentRecord[];
  groups: AgentGroup[];
  /**
   * Files the plan produced besides its agents (run-folder-relative name → content), written next
   * to plan.json when the plan is accepted: map-reduce's selection.json, say.
   */
  artifacts?: Record<string, string>;
}

/**
 * Thrown by `compile` when the plan is well formed but does not fit the real workspace (map-reduce
 * globs that select nothing): planning re-asks the planner with these errors, like a failed check.
 */
export class PlanInputError extends Error {
  constructor(readonly errors: string[]) {
    super(errors.join('; '));
    this.name = 'PlanInputError';
  }
}

/** Where a run lives and what it runs with: what planning's later steps and every role share. */
export interface RunContext {
  workspace: string;
  runDir: string;
  runId: string;
  config: Config;
  prompts: Prompts;
  policy: RequestPolicy;
  ledger: Ledger;
}

/**
 * What `beforeApproval` may use: the run so far, the planner's policy (usage of its requests
 * belongs on the planner record) and transcript, and a way to run agents now.
 */
export interface ApprovalContext extends RunContext {
  transcript?: AgentTranscript;
  signal: AbortSignal;
  planning: PlanningContext;
  /** Runs these agents (added to the ledger first) under the run's caps, retries and ledger; resolves when all settled. */
  runAgents(plan: BasePlan & Record<string, unknown>, agents: AgentRecord[], groups: AgentGroup[]): Promise<void>;
}

/** Everything a role's attempt may use. */
export interface RoleContext<P = unknown> extends RunContext {
  plan: P & BasePlan;
  price: (model: string, usage: Usage) => number;
  /** The run's transcripts; each agent writes its own (`transcripts.agent(id)`). Absent in bare unit tests. */
  transcripts?: Transcripts;
  /** Extra instructions from the user, by agent id (Rerun Agent with an instruction). */
  instructions?: Readonly<Record<string, string>>;
  /** The agent definitions the approved plan assigns (the run's agents.json), by name. */
  agentDefinitions?: ReadonlyMap<string, RunDefinition>;
  /**
   * Adds agents while the run executes (a supervisor's workers and its next round): records in
   * the ledger, at once, and nodes in the schedule under the same caps. Their roles must be the
   * pattern's; dependencies on agents already settled count as met.
   */
  spawn(agents: AgentRecord[], groups?: AgentGroup[]): void;
}

/** What an attempt produced; `ok: false` attempts are retried with `error` in the next prompt. */
export type AttemptResult = { ok: true; returned: string } | { ok: false; error: string };

/**
 * A role as a pattern declares it: its place in the schedule, its part in the failure breaker and
 * the estimate, and its behaviour. Nothing outside the pattern asks `role === 'coordinator'`.
 */
export interface RoleSpec<P = unknown> extends RoleCost {
  /** Higher runs first among ready agents (agents that unblock others shorten the critical path). */
  priority: number;
  /** Depth in the graph; `waves` scheduling runs one depth at a time. */
  depth: number;
  /** A failure counts toward `maxFailedWorkers`, and new agents of this role stop at that limit. */
  leaf: boolean;
  /** On resume, a file ending with the sentinel proves the agent finished; otherwise its return must be recorded too. */
  fileProvesDone: boolean;
  /**
   * Its output summarises its dependencies (a consensus, a coordinator): when resume re-runs one of
   * them, it runs again too. Retry-failed re-runs every dependent regardless.
   */
  summarisesDependencies?: boolean;
  /**
   * Why an agent of this role cannot be rerun on its own (Rerun Agent), when it cannot: a
   * supervisor round replays its recorded decision, so running it again changes nothing.
   */
  noRerun?: string;
  /**
   * Runs only on complete input: when an agent it depends on did not complete, it is `skipped`
   * with the reason (a pipeline stage never runs on a missing handoff). Unset, it runs anyway and
   * is told what is missing (a fan-out coordinator synthesises the workers that finished).
   */
  needsDependenciesCompleted?: boolean;
  /**
   * Why a completed agent of this role holds back the agents that depend on it, or null when it
   * lets them run: a workflow gate that blocked, or waits for the user's approval. Read from its
   * record (its return), so a resumed run holds back the same agents. Those agents are skipped
   * with this reason, and the run ends `partial` saying so.
   */
  holds?(agent: AgentRecord): string | null;
  /**
   * The tools its agents get, by name, when it is not the read tools and `write_output`: what an
   * agent definition's `tools` is intersected with, and what the plan's note on it says.
   */
  tools?: readonly string[];
  /**
   * What views call an agent of this role where its id and task say little (`final`, `coord-a`):
   * "Final summary", "Coordinator a". Unset, views show the agent's task.
   */
  label?(agent: Pick<AgentRecord, 'domain'>): string;
  attempt(ctx: RoleContext<P>, agent: AgentRecord, previousError: string | null, signal: AbortSignal): Promise<AttemptResult>;
}

/**
 * One orchestration pattern: a module in the registry (patterns/registry.ts). The scheduler,
 * agent loop, tools, ledger, accounting, resume, cancel and caps are shared; a pattern supplies
 * only what makes it different.
 */
export interface Pattern<P = unknown> {
  name: PatternName;
  /** Its name for people ("Expert panel"), in pickers and headings. */
  title: string;
  /**
   * What `orchestrate demo --pattern NAME` asks of the bundled example workspace: a task its
   * planner would route to this pattern, and settings the demo runs with unless flags say otherwise.
   */
  demo?: { task: string; settings?: Record<string, unknown> };
  /** One line of the planner's decision tree: when this pattern fits. */
  whenToUse: string;
  /** The fields the planner submits for this pattern (the engine adds the BasePlan fields). */
  submitSchema: z.ZodObject;
  /** The pattern's planning instructions, appended to the shared planner prompt. */
  plannerInstructions(config: Config): string;
  /** Checks beyond the schema (bounds, ids, scopes, focus); each error says what was expected and what came. */
  validate(plan: P & BasePlan, ctx: PlanningContext): string[];
  compile(plan: P & BasePlan, ctx: CompileContext): Compiled | Promise<Compiled>;
  /**
   * Plan fields the engine fills in rather than the planner's first call (build: the builders the
   * planner assigns after the scouts report, the base commit). Part of plan.json's schema, not of
   * the planner's tool.
   */
  planExtras?: z.ZodRawShape;
  /**
   * The planner never plans it (a workflow, planned from its file by Orchestrator.planWorkflow):
   * it is neither a candidate in `auto` nor a `--pattern` choice.
   */
  plannedFromFile?: boolean;
  /**
   * Commands from the workspace the plan runs on the machine (a workflow's check gates), each with
   * where it came from: shown with the plan, and run only once the user consented to that exact
   * command for this workspace, like a repository's verifyCommand (nothing runs otherwise).
   */
  workspaceCommands?(plan: P & BasePlan): Array<{ command: string; source: string }>;
  /** The pattern runs the check command (`verifyCommand`) on the machine: build. Its plan shows which command. */
  runsVerifyCommand?: boolean;
  /** Checks the workspace can run this pattern at all (build: a git repository), before any token is spent. */
  precheck?(workspace: string, config: Config): Promise<void>;
  /**
   * Work between the planner's first answer and the user's approval (build: scouts run, then the
   * planner assigns files from their reports). Returns the plan the user approves and its graph;
   * agents it ran stay in the ledger, completed, and do not run again.
   */
  beforeApproval?(plan: P & BasePlan, ctx: ApprovalContext): Promise<{ plan: P & BasePlan; compiled: Compiled }>;
  /**
   * Files written before approval that the user approves with the plan and may edit (build's
   * architecture.md). Views list them with their outline and an edit action; the engine reads
   * each file as it is when the run executes, so an edit before approval is what runs.
   */
  reviewDocuments?(plan: P & BasePlan, runDir: string): Promise<ReviewDocument[]>;
  roles: Partial<Record<AgentRole, RoleSpec<P>>>;
  /**
   * An audit pattern: the roles whose files list the run's findings (Fix Findings, `--from`), most
   * preferred first; the first role whose completed agents' files yield any findings supplies them.
   * A pattern without it has no findings to fix.
   */
  findingsFrom?: readonly AgentRole[];
  /** Prompt templates (under prompts/) its roles render; checked at start-up. */
  prompts: readonly string[];
  /**
   * Adds one leaf agent to a planned run (Add Worker): a fan-out worker, a map-reduce mapper, a
   * panel expert. Returns the plan with the leaf in it, which the engine validates like a planned
   * one, the new record, and the existing agents that now wait for it; or why it cannot be added.
   * A pattern without the hook has no leaf a user can add.
   */
  addLeaf?(plan: P & BasePlan, leaf: LeafRequest, ctx: AddLeafContext): AddedLeaf<P> | Promise<AddedLeaf<P>>;
  /** What the views show of its runs (see PatternView). */
  view: PatternView;
}

/** A run-folder file the user approves with the plan and may edit (see Pattern.reviewDocuments). */
export interface ReviewDocument {
  /** Stable id for views and messages (`architecture`). */
  id: string;
  title: string;
  /** Run-folder-relative path. */
  file: string;
  /** Its headings, indented by level. */
  outline: string[];
  /** What it is for and what editing it does, in a sentence or two. */
  note: string;
  /** The label of the edit action (`Edit architecture.md`). */
  editLabel: string;
}

/** A leaf the user asks to add to a run (Add Worker): its group, task, scope and tier. */
export interface LeafRequest {
  /** The group it joins: a fan-out domain id (`a`), `map` for a mapper, `experts` for a panel expert. */
  group: string;
  task: string;
  /** Files or folders of the workspace (a mapper: files). */
  scope: string[];
  tier: Tier;
  /** A panel expert's perspective ("SRE"); other patterns ignore it. */
  perspective?: string;
}

/** What adding a leaf may look at: planning's context plus the run as it stands. */
export interface AddLeafContext extends PlanningContext {
  workspace: string;
  runDir: string;
  agents: readonly AgentRecord[];
  groups: readonly AgentGroup[];
}

export type AddedLeaf<P = unknown> =
  | {
    ok: true;
    /** The plan with the leaf in it: validated again, then written to plan.json. */
    plan: P & BasePlan;
    agent: AgentRecord;
    /** Existing agents whose dependencies change (the coordinator that gains the worker). */
    dependents: Array<{ id: string; dependsOn: string[] }>;
    /** Groups whose label changes, or new ones. */
    groups?: AgentGroup[];
    /** Run-folder files rewritten with the leaf in them (map-reduce's selection.json). */
    artifacts?: Record<string, string>;
  }
  | { ok: false; errors: string[] };

/**
 * A new agent record, pending, with nothing spent. Every field is spelled out rather than spread
 * from `fields`: V8 gives a spread literal's later properties a shape that the record's first
 * cost (an integer 0 becoming a fraction) turns into a hash table, ten times the size of a plain
 * object, and a run keeps one record per agent for its whole life.
 */
export function agentRecord(
  config: Config,
  fields: Pick<AgentRecord, 'id' | 'role' | 'domain' | 'tier' | 'task' | 'scope' | 'dependsOn' | 'outputFile'>,
): AgentRecord {
  const { id, role, domain, tier, task, scope, dependsOn, outputFile } = fields;
  return {
    id, role, domain, tier, task, scope, dependsOn, outputFile,
    modelRequested: config.models[tier], modelReported: null,
    status: 'pending', attempts: 0, queuedAt: null, startedAt: null, endedAt: null,
    usage: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 }, costUsd: 0, requests: 0, toolCalls: 0,
    returned: null, returnTokens: 0, error: null,
  };
}

/** The record with the user's agent definition the plan assigned it (the plan entry's `agent`), if any. */
export function withDefinition(record: AgentRecord, agent: string | undefined): AgentRecord {
  if (agent) record.agentDefinition = agent;
  return record;
}

/** True when `p` is `dir` or below it (both workspace-relative, '/'-separated). `..foo` is not below `.`. */
export function withinFocus(p: string, focus: readonly string[]): boolean {
  if (focus.length === 0) return true;
  const norm = p.replace(/^\.\/+/, '').replace(/\/+$/, '');
  return focus.some((f) => {
    const d = f.replace(/^\.\/+/, '').replace(/\/+$/, '');
    return d === '' || d === '.' || norm === d || norm.startsWith(d + '/');
  });
}
