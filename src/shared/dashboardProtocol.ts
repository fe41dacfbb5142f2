/**
 * The run dashboard's messages (host ↔ webview), validated with zod on both sides. One panel
 * shows one run, so no message carries a run id; agent ids are checked before the host acts on them.
 */
import { z } from 'zod';
import { RunIdSchema, UsageViewSchema } from './protocol';

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

export const TimelineRowSchema = z.object({
  id: AgentIdSchema,
  label: z.string().max(300),
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

/**
 * How many agents of a big group were in each in-flight state, averaged over each of `bins`
 * equal slices of the time axis (so a fleet of 1,000 reads as a density strip, not 1,000 rows).
 */
export const DensitySchema = z.object({
  queued: z.array(z.number().nonnegative()),
  running: z.array(z.number().nonnegative()),
  verifying: z.array(z.number().nonnegative()),
  retrying: z.array(z.number().nonnegative()),
  /** The most agents at work (running, verifying, retrying) in any bin: the bars' vertical scale. */
  peak: z.number().nonnegative(),
  /** The most agents waiting for a slot in any bin: the scale of the queue drawn behind the bars. */
  queuedPeak: z.number().nonnegative(),
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

export const DashboardViewSchema = z.object({
  runId: RunIdSchema,
  task: z.string(),
  status: z.string(),
  pattern: z.string(),
  simulated: z.boolean(),
  /** Agents are in flight: open bars end at "now" and the host re-posts as time passes. */
  live: z.boolean(),
  /** Wall-clock time of the axis' 0 (ISO), null before any agent started. */
  startedAt: z.string().nullable(),
  spanMs: ms,
  bins: count,
  lanes: z.array(LaneSchema),
  /** The run's agents (the planner's record is counted in spend only). */
  agents: count,
  byStatus: z.record(z.string(), count),
  costUsd: usd,
  usage: UsageViewSchema,
  byModel: z.array(SpendRowSchema),
  byRole: z.array(SpendRowSchema),
  /** The parent's measured context against a flat fan-out's (0 and 0 until measured); null for patterns that do not measure it. */
  context: z.object({ parent: count, flat: count }).strict().nullable(),
  estimate: z.object({ tokensLow: count, tokensHigh: count, costLowUsd: usd, costHighUsd: usd }).nullable(),
  gaps: z.array(z.object({ agentId: AgentIdSchema, reason: z.string().max(2000) }).strict()),
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
  /** Unfolds (or folds) a big lane into rows, a page at a time. */
  z.object({ type: z.literal('expand'), laneId: z.string().min(1).max(100), expanded: z.boolean(), page: count.max(10_000) }).strict(),
]);
export type DashboardWebviewMessage = z.infer<typeof DashboardWebviewMessageSchema>;
