/**
 * The run dashboard's messages (host ↔ webview), validated with zod on both sides. One panel
 * shows one run, so no message carries a run id; agent ids are checked before the host acts on them.
 */
import { z } from 'zod';
import { PipelineViewSchema, RunIdSchema, UsageViewSchema } from './protocol';

const count = z.number().int().nonnegative();
const ms = z.number().nonnegative();
const usd = z.number().nonnegative();
export const AgentIdSchema = z.string().regex(/^[A-Za-z0-9._-]{1,80}$/, 'an agent id such as a1, coord-a or final');

/** The in-flight states a timeline draws; the settled ones end a bar. */
export const FLIGHT_STATES = ['queued', 'running', 'verifying', 'retrying'] as const;
export type FlightState = (typeof FLIGHT_STATES)[number];

/** One bar of an agent's timeline: a state from `a` to `b`, in ms after the dashboard's start. */
export const SegmentSchema = z.object({ s: z.enum(FLIGHT_STATES), a: ms, b: ms }).strict();
export type Segment = z.infer<typeof SegmentSchema>;

/** How an agent ended; its bars take this colour once it has settled. */
export const SETTLED_STATES = ['completed', 'failed', 'cancelled', 'skipped'] as const;
export type SettledState = (typeof SETTLED_STATES)[number];

export const TimelineRowSchema = z.object({
  id: AgentIdSchema,
  /** What tells the agent from the others of its lane: its task without the words they all share (or its scope). */
  label: z.string().max(300),
  /** The whole task, for the tooltip. */
  task: z.string().max(2000),
  role: z.string(),
  status: z.string(),
  tier: z.string(),
  model: z.string(),
  attempts: count,
  costUsd: usd,
  tokens: count,
  segments: z.array(SegmentSchema),
}).strict();
export type TimelineRow = z.infer<typeof TimelineRowSchema>;

const perBin = z.array(z.number().nonnegative());
/**
 * How many agents of a big group were in each state, averaged over each of `bins` equal slices
 * of the time axis (so a fleet of 1,000 reads as a density strip, not 1,000 rows): the in-flight
 * states, and from the moment each agent settled, how it ended. What is left of the group's total
 * in a slice had not been queued yet.
 */
export const DensitySchema = z.object({
  queued: perBin, running: perBin, verifying: perBin, retrying: perBin,
  completed: perBin, failed: perBin, cancelled: perBin, skipped: perBin,
  /** The most agents at work (running, verifying, retrying) at any one moment: a whole number. */
  peak: count,
  /** The most agents waiting for a slot at any one moment: a whole number. */
  queuedPeak: count,
}).strict();
export type Density = z.infer<typeof DensitySchema>;

/** One group of the pattern (a domain, a stage, a reduce level, a round, or the run-level agents). */
export const LaneSchema = z.object({
  id: z.string().max(100),
  label: z.string().max(200),
  total: count,
  byStatus: z.record(z.string(), count),
  /** Too many agents for one row each: drawn as a density strip until expanded. */
  aggregated: z.boolean(),
  expanded: z.boolean(),
  /** Every agent of a small lane; one page of an expanded big one; none of a folded big one. */
  rows: z.array(TimelineRowSchema),
  /** Index of the first listed row in the lane (0 unless a later page is shown). */
  first: count,
  page: count,
  pages: count,
  density: DensitySchema.nullable(),
}).strict();
export type Lane = z.infer<typeof LaneSchema>;

export const SpendRowSchema = z.object({ key: z.string().max(120), costUsd: usd, tokens: UsageViewSchema, agents: count }).strict();
export type SpendRow = z.infer<typeof SpendRowSchema>;

/** The task board's columns, in the order a builder's change moves through them. */
export const BOARD_COLUMNS = ['plan', 'code', 'check', 'review', 'integrate', 'harden', 'ship'] as const;
export type BoardColumn = (typeof BOARD_COLUMNS)[number];

/** Why a card cannot move on. */
export const BLOCK_KINDS = [
  'builder-failed', 'check-failed', 'rejected', 'not-approved', 'conflict', 'integration-failed', 'critical', 'assembly-failed', 'ship-refused',
] as const;
export type BlockKind = (typeof BLOCK_KINDS)[number];

/** waiting: for a slot or for other cards; active: an agent works on it now; stopped: cancelled, interrupted or never run. */
export const CARD_STATES = ['waiting', 'active', 'done', 'blocked', 'stopped'] as const;
export type CardState = (typeof CARD_STATES)[number];

/** One builder's change on the board. */
export const BoardCardSchema = z.object({
  id: AgentIdSchema,
  label: z.string().max(300),
  task: z.string().max(2000),
  /** The first few files it owns; `moreFiles` counts the rest. */
  files: z.array(z.string().max(500)).max(5),
  moreFiles: count,
  column: z.enum(BOARD_COLUMNS),
  state: z.enum(CARD_STATES),
  /** What is happening to it, in a few words ("building, attempt 2", "approved; waiting for the other reviews"). */
  note: z.string().max(300),
  blocked: z.object({ kind: z.enum(BLOCK_KINDS), reason: z.string().max(2000) }).strict().nullable(),
  /** Hardening findings in the files it owns. */
  findings: z.object({ critical: count, major: count, minor: count }).strict(),
}).strict();
export type BoardCard = z.infer<typeof BoardCardSchema>;

export const BoardColumnSchema = z.object({
  id: z.enum(BOARD_COLUMNS),
  label: z.string().max(40),
  /** The stage's own outcome where it has one ("check passed", "1 critical", the shipped branch). */
  note: z.string().max(300).nullable(),
  /** The note says the stage failed or blocks Ship. */
  alert: z.boolean(),
}).strict();
export type BoardColumnView = z.infer<typeof BoardColumnSchema>;

export const BoardSchema = z.object({ columns: z.array(BoardColumnSchema), cards: z.array(BoardCardSchema) }).strict();
export type Board = z.infer<typeof BoardSchema>;

/** A Message Batch's request counts, as the API last reported them. */
export const BatchCountsSchema = z.object({ processing: count, succeeded: count, errored: count, canceled: count, expired: count }).strict();

/** One Message Batch of the run (batch mode), newest last. */
export const BatchViewSchema = z.object({
  id: z.string().max(200),
  /** The id cut for a narrow place (`msgbatch_…DV8d`); the whole one goes in the title. */
  short: z.string().max(40),
  /** in_progress, canceling, ended (results not read yet) or collected. */
  status: z.enum(['in_progress', 'canceling', 'ended', 'collected']),
  submittedAt: z.string().max(40),
  requests: count,
  /** Requests no longer processing, of `requests`. */
  answered: count,
  counts: BatchCountsSchema,
  /** The faults it met, named (a results file cut short, a cancel from outside, retries). */
  notes: z.array(z.string().max(500)).max(50),
}).strict();
export type BatchView = z.infer<typeof BatchViewSchema>;

/**
 * The run-level buttons of the dashboard's header, each true when it applies (one message each
 * below). A new run-level action is a field here, a message, a handler and a button in render.ts.
 */
export const DashboardActionsSchema = z.object({
  /** The Summary view holds the plan, the findings and Apply/Discard of this run. */
  showSummary: z.boolean(),
  /** A finished build: Ship to Branch (the command checks what would refuse it, by name). */
  shipToBranch: z.boolean(),
}).strict();
export type DashboardActions = z.infer<typeof DashboardActionsSchema>;

export const DashboardViewSchema = z.object({
  runId: RunIdSchema,
  task: z.string(),
  status: z.string(),
  pattern: z.string(),
  simulated: z.boolean(),
  /** A finished audit run whose findings a build can fix: the dashboard offers Fix Findings. */
  fixFindings: z.boolean().default(false),
  /** Who started the run when it was not a person here (`mcp:<client>`), else null. */
  startedBy: z.string().max(200).nullable(),
  /** Agents are in flight: open bars end at "now" and the host re-posts as time passes. */
  live: z.boolean(),
  /** Wall-clock time of the axis' 0 (ISO), null before any agent started. */
  startedAt: z.string().nullable(),
  spanMs: ms,
  bins: count,
  lanes: z.array(LaneSchema),
  /** The run's agents (the planner's record is counted in spend only). */
  agents: count,
  /** From runProgress, like every other view: done = completed, of the plan's agents. */
  progress: z.object({ done: count, total: count, active: count, waiting: count, failed: count, cancelled: count, skipped: count }).strict(),
  byStatus: z.record(z.string(), count),
  costUsd: usd,
  usage: UsageViewSchema,
  byModel: z.array(SpendRowSchema),
  byRole: z.array(SpendRowSchema),
  /** The parent's measured context against a flat fan-out's (0 and 0 until measured); null for patterns that do not measure it. */
  context: z.object({ parent: count, flat: count }).strict().nullable(),
  estimate: z.object({ tokensLow: count, tokensHigh: count, costLowUsd: usd, costHighUsd: usd }).nullable(),
  gaps: z.array(z.object({ agentId: AgentIdSchema, reason: z.string().max(2000) }).strict()),
  /** A card per builder moving plan → … → ship; null for runs without builders. */
  board: BoardSchema.nullable(),
  /** The integration check, the hardening tally and Ship; null for runs without builders. */
  pipeline: PipelineViewSchema.nullable(),
  actions: DashboardActionsSchema,
  /** The run's Message Batches (batch mode), oldest first; at most BATCHES_SHOWN, `batchesMore` counts the rest. */
  batches: z.array(BatchViewSchema).max(100).default([]),
  batchesMore: count.default(0),
}).strict();
export type DashboardView = z.infer<typeof DashboardViewSchema>;

/** Host → webview. */
export const DashboardHostMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('state'), view: DashboardViewSchema.nullable(), note: z.string().max(500).nullable() }).strict(),
]);
export type DashboardHostMessage = z.infer<typeof DashboardHostMessageSchema>;

/** Webview → host. */
export const DashboardWebviewMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }).strict(),
  z.object({ type: z.literal('showAgent'), agentId: AgentIdSchema }).strict(),
  /** Opens a file of the run (an integration log); the host checks it stays inside the run. */
  z.object({ type: z.literal('openFile'), path: z.string().min(1).max(500) }).strict(),
  z.object({ type: z.literal('showSummary') }).strict(),
  /** Ship to Branch on the dashboard's run (the command asks for the branch and the message). */
  z.object({ type: z.literal('shipToBranch') }).strict(),
  /** Unfolds (or folds) a big lane into rows, a page at a time. */
  z.object({ type: z.literal('expand'), laneId: z.string().min(1).max(100), expanded: z.boolean(), page: count.max(10_000) }).strict(),
  /** Fix Findings on this run (a finished audit): the host runs orchestration.fixFindings. */
  z.object({ type: z.literal('fixFindings') }).strict(),
]);
export type DashboardWebviewMessage = z.infer<typeof DashboardWebviewMessageSchema>;
