/**
 * The Summary webview's message protocol, shared by the extension host and the webview bundle.
 * Both sides validate what arrives with these schemas: the webview is a separate, less trusted
 * context, and the host's state comes from files a model wrote.
 */
import { z } from 'zod';

/** A run id as the webviews may send and receive it (one schema for every panel's protocol). */
export const RunIdSchema = z.string().regex(/^[A-Za-z0-9._-]{1,80}$/, 'a run id such as 20250101-120000-abcd');
const runId = RunIdSchema;
/** A path relative to the run directory; the host re-checks it is inside the run before opening. */
const runPath = z.string().min(1).max(500);
const count = z.number().int().nonnegative();

export const AgentViewSchema = z.object({
  id: z.string(),
  task: z.string(),
  tier: z.string(),
  model: z.string(),
  status: z.string(),
  outputFile: z.string(),
  /** The output file exists: only then does the view link to it. */
  written: z.boolean(),
  returned: z.string().nullable(),
  error: z.string().nullable(),
  /** A step the engine does itself (a build's assembly): no model, so none is shown. */
  byEngine: z.boolean(),
  /** Planned to go through a Message Batch (batch mode): half the realtime price, answered within 24 h. */
  batch: z.boolean().default(false),
  /** The user's agent definition it runs as (`.claude/agents/<name>.md`), and what it asked for and did not get. */
  agentDefinition: z.string().nullable().default(null),
  agentNotes: z.array(z.string()).default([]),
});
export type AgentView = z.infer<typeof AgentViewSchema>;

/** One group of the run's pattern: a fan-out domain, a pipeline stage, a reduce level, a supervisor round. */
export const GroupViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  done: count,
  total: count,
  /** The group's agents, at most a page of them (`more` says how many are not listed). */
  agents: z.array(AgentViewSchema),
  more: count,
  /** A fan-out domain's coordinator, whose synthesis the card shows. */
  coordinator: AgentViewSchema.nullable(),
});
export type GroupView = z.infer<typeof GroupViewSchema>;

const text = z.string().max(20_000);

/*
 * The Summary's cards are kinds the webview knows, named for what they show; a pattern declares
 * which one its runs get (PatternView.card), so the webview never learns a pattern's name.
 */

/** Handoffs (a pipeline's): every stage in order with its handoff's summary; a failed stage and the stages it stopped. */
export const PipelineCardSchema = z.object({
  kind: z.literal('handoffs'),
  stages: z.array(z.object({
    id: z.string(), name: z.string(), status: z.string(), error: z.string().nullable(),
    /** The `Summary` of handoffs/<id>.md once the engine wrote it. */
    handoff: text.nullable(),
    handoffFile: z.string(), handoffWritten: z.boolean(),
  })),
  failed: z.string().nullable(),
  skipped: z.array(z.string()),
});

/** Progress (map-reduce's): mappers done/total, each reduce level, and what the selection left out and why. */
export const MapReduceCardSchema = z.object({
  kind: z.literal('progress'),
  mappers: z.object({ done: count, failed: count, total: count }),
  levels: z.array(z.object({ level: count, done: count, failed: count, total: count })),
  selectedFiles: count.nullable(),
  excluded: count.nullable(),
  excludedByReason: z.array(z.object({ reason: z.string(), count })),
  excludedSample: z.array(z.object({ path: z.string(), reason: z.string() })),
});

/** Rounds (a supervisor's): one row per round: its status, the workers it spawned, and its prompt size. */
export const SupervisorCardSchema = z.object({
  kind: z.literal('rounds'),
  rounds: z.array(z.object({
    round: count, status: z.string(), spawned: count, workersDone: count,
    promptTokens: count.nullable(), returnTokens: count.nullable(), outcome: z.enum(['spawned', 'finished']).nullable(),
  })),
});

/** Verdicts (a panel's): the engine's tally (panel/tally.json) as a verdict table, once it exists. */
export const PanelCardSchema = z.object({
  kind: z.literal('verdicts'),
  tally: z.object({
    line: z.string(), planned: count, answered: count, quorum: count, quorumMet: z.boolean(),
    majority: z.string().nullable(), unanimous: z.boolean(),
    counts: z.record(z.string(), count),
    experts: z.array(z.object({
      id: z.string(), perspective: z.string(), verdict: z.string().nullable(), confidence: z.number().nullable(),
      concerns: z.array(z.string()), gap: z.string().nullable(), dissent: z.boolean(), file: z.string(), written: z.boolean(),
    })),
  }).nullable(),
  experts: z.object({ done: count, total: count }),
  /** What one of them is called ("expert"): the role the pattern's card declares. */
  noun: z.string().max(40),
});

export const PatternCardSchema = z.discriminatedUnion('kind', [PipelineCardSchema, MapReduceCardSchema, SupervisorCardSchema, PanelCardSchema]);
export type PatternCard = z.infer<typeof PatternCardSchema>;
export type PipelineCard = z.infer<typeof PipelineCardSchema>;
export type MapReduceCard = z.infer<typeof MapReduceCardSchema>;
export type SupervisorCard = z.infer<typeof SupervisorCardSchema>;
export type PanelCard = z.infer<typeof PanelCardSchema>;

/** A build run's proposed change (changes.json): what Apply would write, file by file. */
export const ChangesViewSchema = z.object({
  state: z.enum(['proposed', 'applied', 'discarded']),
  files: z.array(z.object({
    path: z.string(), status: z.enum(['added', 'modified', 'deleted', 'renamed']), added: count, removed: count, binary: z.boolean(),
  })),
  /** Files past the listed ones (a change of hundreds of files lists a page). */
  more: count,
  fileCount: count,
  added: count,
  removed: count,
  /** Builders left out of the assembly after a merge conflict. */
  conflicts: z.array(z.object({ agentId: z.string(), message: z.string() })),
  /** Apply and Discard make sense: the change is proposed and no window is running the run. */
  canAct: z.boolean(),
});
export type ChangesView = z.infer<typeof ChangesViewSchema>;

/** A hardening finding as the views list it (from harden/tally.json). */
export const PipelineFindingSchema = z.object({
  id: z.string().max(100),
  severity: z.enum(['critical', 'major', 'minor']),
  concern: z.string().max(40),
  file: z.string().max(500).nullable(),
  line: count.nullable(),
  text: z.string().max(2000),
  owner: z.string().max(80).nullable(),
  /** open (minor: listed; critical: blocking), sent to its owner's fix round, fixed, not-fixed. */
  status: z.string().max(20),
}).strict();
export type PipelineFinding = z.infer<typeof PipelineFindingSchema>;

/** The check on the assembled tree, as the Summary and the dashboard show it. */
export const IntegrationViewSchema = z.object({
  /** waiting/running: no integration.json yet, from the integration step's record. */
  state: z.enum(['waiting', 'running', 'passed', 'failed', 'no-check', 'nothing-merged']),
  command: z.string().max(2000).nullable(),
  /** Rounds of the check that ran (round 0, then one after each fixer round). */
  rounds: count,
  timedOut: z.boolean(),
  /** The last round's log (run-relative), once it exists. */
  log: runPath.nullable(),
  agentId: z.string().max(80).nullable(),
}).strict();
export type IntegrationView = z.infer<typeof IntegrationViewSchema>;

/**
 * What a build did after its builders (integration.json, harden/tally.json, ship.json, read by the
 * host): the check on the assembled tree, the hardening tally, and Ship. Each part is null when the
 * run has no such stage (a build from before the pipeline).
 */
export const PipelineViewSchema = z.object({
  integration: IntegrationViewSchema.nullable(),
  harden: z.object({
    /** off: the setting turned hardening off; waiting/running: no tally yet. */
    state: z.enum(['waiting', 'running', 'done', 'off']),
    critical: count, major: count, minor: count,
    /** Criticals first, then majors, then minors; at most a page of them. */
    findings: z.array(PipelineFindingSchema),
    more: count,
  }).strict().nullable(),
  ship: z.object({
    /** waiting: the change is not assembled yet; refused: `blockers` say why Ship would refuse. */
    state: z.enum(['waiting', 'ready', 'refused', 'shipped']),
    blockers: z.array(z.string().max(500)),
    branch: z.string().max(300).nullable(),
    commit: z.string().max(80).nullable(),
    pushedTo: z.string().max(300).nullable(),
    headMoved: z.boolean(),
  }).strict(),
}).strict();
export type PipelineView = z.infer<typeof PipelineViewSchema>;

/** How far the run is: the engine's runProgress, the one done/total every view shows. */
export const ProgressViewSchema = z.object({
  done: count, total: count, active: count, waiting: count, failed: count, cancelled: count, skipped: count,
});
export type ProgressView = z.infer<typeof ProgressViewSchema>;

export const UsageViewSchema = z.object({ input: count, output: count, cacheRead: count, cacheWrite: count });

export const TotalsViewSchema = z.object({
  agentsByStatus: z.record(z.string(), count),
  usage: UsageViewSchema,
  costUsd: z.number().nonnegative(),
  costByModel: z.record(z.string(), z.number().nonnegative()),
  parentContextTokens: count,
  flatBaselineTokens: count,
  wallMs: count,
});
export type TotalsView = z.infer<typeof TotalsViewSchema>;

export const RunViewSchema = z.object({
  runId,
  task: z.string(),
  status: z.string(),
  reason: z.string().nullable(),
  /** The plan's pattern (fan-out, pipeline, …) and why the planner chose it. */
  pattern: z.string(),
  patternReason: z.string().nullable(),
  /** What the plan says about trust: the repository's command it will run, settings it ignored. */
  notes: z.array(z.string()),
  /** The planner's own record: what planning cost. */
  planner: z.object({ status: z.string(), model: z.string(), tokens: count, costUsd: z.number().nonnegative() }).nullable(),
  /** A simulated run spent nothing: its costs are what the same tokens would cost, and say so. */
  simulated: z.boolean(),
  /** Who started the run when it was not a person here (`mcp:<client>`), else null. */
  startedBy: z.string().max(200).nullable(),
  planSummary: z.string(),
  estimate: z.object({
    tokensLow: count, tokensHigh: count, costLowUsd: z.number().nonnegative(), costHighUsd: z.number().nonnegative(),
  }).nullable(),
  /** Agents of the plan that go through a Message Batch; the estimate prices them at the batch rate. */
  batched: count.default(0),
  actions: z.object({
    approve: z.boolean(), decline: z.boolean(), cancel: z.boolean(), resume: z.boolean(), retry: z.boolean(),
    /** The plan editor holds an edited draft: it is the one place to approve, so the Summary points there. */
    reviewDraft: z.boolean(),
    /** A finished audit run whose findings a build can fix (Fix Findings). */
    fixFindings: z.boolean().default(false),
    /** A stage waits for the user's approval (`approvals` says which): Approve Stage. */
    approveStage: z.boolean().default(false),
  }),
  /** Workflow stages waiting for the user's approval: the stage, and what its gate asks to look at. */
  approvals: z.array(z.object({ stage: z.string().max(200), message: z.string().max(2000).nullable() })).default([]),
  progress: ProgressViewSchema,
  /** Build runs: the proposed change, once the engine assembled it. */
  changes: ChangesViewSchema.nullable(),
  /** Build runs: the integration check, the hardening tally and Ship. */
  pipeline: PipelineViewSchema.nullable(),
  groups: z.array(GroupViewSchema),
  /** What the pattern calls its groups ("Domains", "Stages"), the heading of their section. */
  groupsTitle: z.string().max(80),
  /** Agents outside any group besides the final one (none in today's patterns; shown so none is lost). */
  others: z.array(AgentViewSchema),
  /** The agent that writes summary.md: the final synthesis, the consensus, a single agent. */
  final: AgentViewSchema.nullable(),
  card: PatternCardSchema.nullable(),
  /** The text of summary.md once the final synthesis wrote it (capped by the host). */
  finalSummary: z.string().nullable(),
  totals: TotalsViewSchema,
  gaps: z.array(z.object({ agentId: z.string(), outputFile: z.string(), written: z.boolean(), reason: z.string() })),
});
export type RunView = z.infer<typeof RunViewSchema>;

/** Host → webview. */
export const HostMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('state'), run: RunViewSchema.nullable() }).strict(),
]);
export type HostMessage = z.infer<typeof HostMessageSchema>;

/** Webview → host. */
export const WebviewMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }).strict(),
  z.object({ type: z.literal('approve'), runId }).strict(),
  z.object({ type: z.literal('decline'), runId }).strict(),
  z.object({ type: z.literal('cancel'), runId }).strict(),
  z.object({ type: z.literal('resume'), runId }).strict(),
  z.object({ type: z.literal('retryFailed'), runId }).strict(),
  z.object({ type: z.literal('openFile'), runId, path: runPath }).strict(),
  z.object({ type: z.literal('reviewPlan'), runId }).strict(),
  z.object({ type: z.literal('openDiff'), runId, path: runPath }).strict(),
  z.object({ type: z.literal('applyChanges'), runId }).strict(),
  z.object({ type: z.literal('discardChanges'), runId }).strict(),
  z.object({ type: z.literal('fixFindings'), runId }).strict(),
  z.object({ type: z.literal('shipToBranch'), runId }).strict(),
  z.object({ type: z.literal('approveStage'), runId, stage: z.string().min(1).max(200) }).strict(),
]);
export type WebviewMessage = z.infer<typeof WebviewMessageSchema>;

/** One handler per message type: adding a message without a handler is a type error. */
export type HandlerMap<M extends { type: string }> = {
  [K in M['type']]: (msg: Extract<M, { type: K }>) => void | Promise<void>;
};

export type Dispatch = { ok: true } | { ok: false; error: string };

/**
 * Validates `raw` against `schema` and calls the handler for its type. Invalid messages are
 * reported, never thrown, so a bad message cannot break the channel.
 */
export async function dispatch<M extends { type: string }>(
  schema: z.ZodType<M>,
  handlers: HandlerMap<M>,
  raw: unknown,
): Promise<Dispatch> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(message)'}: ${i.message}`);
    return { ok: false, error: `Rejected message: ${issues.join('; ')}` };
  }
  const msg = parsed.data;
  const handler = handlers[msg.type as M['type']] as (m: M) => void | Promise<void>;
  await handler(msg);
  return { ok: true };
}
