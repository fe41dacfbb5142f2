/**
 * A workflow file (`.orchestration/workflows/<name>.yaml`) as its schema accepts it: recurring work
 * defined once (stages routed to the user's agents, each with its gates and hooks) and run again
 * with other parameters. The file comes from an untrusted workspace: the schema is strict (an
 * unknown key is an error, never ignored), and it has no field that could choose where the key
 * goes, which model endpoint is called or which setting applies. Its check gates name a command
 * that runs only with the user's consent, like a repository's verifyCommand.
 */
import { z } from 'zod';
import { AGENT_NAME } from '../agents/definition';
import { TIERS } from '../types';

/** Stage ids and parameter names: what a template can name (`{{params.concern}}`, `{{stages.review}}`). */
export const WORKFLOW_ID = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
const ID_EXPECTED = 'expected lowercase letters, digits and hyphens, starting with a letter, like review-api';

/** Bounds that keep one file from planning a runaway run. */
export const WORKFLOW_LIMITS = { stages: 20, params: 20, instructionsChars: 8_000 } as const;

const Id = z.string({ error: ID_EXPECTED }).regex(WORKFLOW_ID, ID_EXPECTED).max(64);

export const ParamSchema = z.object({
  description: z.string().trim().min(1).max(300),
  /** Used when the launch gives no value; a parameter without one must be given. */
  default: z.union([z.string(), z.number(), z.boolean()]).transform(String).optional(),
}).strict();

/** `each:` — one agent per file of a glob (honouring the run's ignores), or per item a stage returned. */
export const EachSchema = z.union([
  z.object({ files: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]) }).strict(),
  z.object({ items: Id }).strict(),
], { error: 'expected { files: "<glob>" } or { items: <stage id> }' });

/**
 * Gates a stage's output must pass before any stage after it runs: the user's approval, a check
 * command (run only with consent), or a review by another agent.
 */
export const GateSchema = z.union([
  z.literal('approval'),
  z.object({ approval: z.string().trim().min(1).max(300) }).strict(),
  z.object({ check: z.string().trim().min(1).max(500) }).strict(),
  z.object({ review: z.string().regex(AGENT_NAME, 'expected an agent name, like api-reviewer') }).strict(),
], { error: 'expected approval, { approval: "<what to look at>" }, { check: "<command>" } or { review: <agent name> }' });

/** Hooks after a stage: `sanity-check` (an auditor gates promotion), `reflect` (lessons proposed for memory.md). */
export const HOOKS = ['sanity-check', 'reflect'] as const;

export const StageSchema = z.object({
  id: Id,
  /** An agent definition's name (`.claude/agents/<name>.md` …); unset, the stage runs as a plain worker. */
  agent: z.string().regex(AGENT_NAME, 'expected an agent name, like api-reviewer').optional(),
  /** Unset: the agent definition's model, else sonnet. */
  tier: z.enum(TIERS).optional(),
  /** What the stage does: a template over `{{params.<name>}}`, `{{item}}` and `{{stages.<id>}}` (that stage's handoff). */
  instructions: z.string().trim().min(1).max(WORKFLOW_LIMITS.instructionsChars),
  /** Files or folders the stage's agents read (workspace-relative); unset, the whole workspace (or its `each` file). */
  scope: z.array(z.string().trim().min(1)).max(50).optional(),
  each: EachSchema.optional(),
  dependsOn: z.array(Id).max(WORKFLOW_LIMITS.stages).default([]),
  gates: z.array(GateSchema).max(5).default([]),
  hooks: z.array(z.enum(HOOKS)).max(HOOKS.length).default([]),
}).strict();

export const WorkflowSchema = z.object({
  name: Id,
  description: z.string().trim().min(1).max(500),
  params: z.record(Id, ParamSchema).default({}),
  stages: z.array(StageSchema).min(1).max(WORKFLOW_LIMITS.stages),
}).strict();

export type WorkflowStage = z.infer<typeof StageSchema>;
export type WorkflowGate = z.infer<typeof GateSchema>;
export type WorkflowHook = (typeof HOOKS)[number];
export type Workflow = z.infer<typeof WorkflowSchema>;

/** A workflow file that parsed and validated, and where it came from. */
export interface FoundWorkflow {
  workflow: Workflow;
  /** Absolute path of the file. */
  source: string;
  /** Line of each stage's `id` in the file (for messages and the plan), by stage id. */
  stageLines: Readonly<Record<string, number>>;
}

/** A workflow file that is not valid: where, and what was expected against what was found. */
export interface WorkflowError {
  /** Absolute path of the file. */
  file: string;
  line: number;
  column: number;
  message: string;
  /** The workflow's name when the file got far enough to have one (views show the error on that workflow). */
  name?: string;
}

/** Every workflow file of a workspace: the valid ones and the errors of the rest (one bad file never hides the others). */
export interface WorkflowCatalog {
  workflows: FoundWorkflow[];
  errors: WorkflowError[];
  /** The folder searched (absolute). */
  folder: string;
}
