/**
 * The plan review panel's messages (host ↔ webview), validated with zod on both sides. The host
 * holds the draft plan; the webview sends edits, the host applies them, asks the engine for the
 * estimate and the validation errors, and posts the result.
 */
import { z } from 'zod';
import { AgentIdSchema } from './dashboardProtocol';
import { RunIdSchema } from './protocol';

const count = z.number().int().nonnegative();
const usd = z.number().nonnegative();
export const TierSchema = z.enum(['haiku', 'sonnet', 'opus']);
const task = z.string().max(2000);

export const PlanEditSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('tier'), agentId: AgentIdSchema, tier: TierSchema }).strict(),
  z.object({ kind: z.literal('task'), agentId: AgentIdSchema, task }).strict(),
  z.object({ kind: z.literal('remove'), agentId: AgentIdSchema }).strict(),
  z.object({
    kind: z.literal('add'), group: z.string().min(1).max(40), task: task.min(1),
    scope: z.array(z.string().trim().min(1).max(300)).max(20), tier: TierSchema, label: z.string().max(80).optional(),
  }).strict(),
]);
export type PlanEdit = z.infer<typeof PlanEditSchema>;

export const EstimateSchema = z.object({ tokensLow: count, tokensHigh: count, costLowUsd: usd, costHighUsd: usd }).strict();
export type EstimateView = z.infer<typeof EstimateSchema>;

export const PlanItemSchema = z.object({
  id: AgentIdSchema,
  label: z.string().nullable(),
  task: task,
  scope: z.array(z.string()),
  tier: TierSchema,
  model: z.string(),
  canRemove: z.boolean(),
  canEditTask: z.boolean(),
  /** Differs from the plan as the planner made it. */
  changed: z.boolean(),
  errors: z.array(z.string()),
  /** Goes through a Message Batch (batch mode), priced at the batch rate in the estimate. */
  batch: z.boolean().default(false),
  /** The user's agent definition the planner put it on, and what that definition does not get. */
  agentDefinition: z.string().nullable().default(null),
  agentNotes: z.array(z.string()).default([]),
}).strict();
export type PlanItem = z.infer<typeof PlanItemSchema>;

export const PlanGroupSchema = z.object({
  id: z.string().max(40),
  name: z.string(),
  brief: z.string().nullable(),
  canAdd: z.boolean(),
  addLabel: z.string().nullable(),
  /** What a new agent of the group is ("worker", "stage"), as its pattern declares it; null where none is added. */
  addNoun: z.string().nullable(),
  items: z.array(PlanItemSchema),
  /** Validation errors about the group as a whole (too few workers, its brief), shown beside it. */
  errors: z.array(z.string()),
}).strict();
export type PlanGroup = z.infer<typeof PlanGroupSchema>;

/** A file the user approves with the plan and may edit (a greenfield build's architecture.md). */
export const PlanDocumentSchema = z.object({
  id: z.string().min(1).max(40),
  title: z.string().max(200),
  /** Where it is, as shown to the user. */
  path: z.string().max(4000),
  note: z.string().max(2000),
  outline: z.array(z.string().max(300)).max(60),
  /** The edit button's label (`Edit architecture.md`). */
  editLabel: z.string().max(80),
}).strict();
export type PlanDocument = z.infer<typeof PlanDocumentSchema>;

export const PlanEditorViewSchema = z.object({
  runId: RunIdSchema,
  task: z.string(),
  pattern: z.string(),
  status: z.string(),
  simulated: z.boolean(),
  /** Edits and approval apply only while the plan awaits approval and no run executes it. */
  editable: z.boolean(),
  /** Why the plan cannot be edited, when it cannot. */
  locked: z.string().nullable(),
  summary: z.string(),
  /** What the plan says about trust: the repository's command it will run, settings it ignored. */
  notes: z.array(z.string()),
  groups: z.array(PlanGroupSchema),
  /** Files approved with the plan, each with an edit action. */
  documents: z.array(PlanDocumentSchema),
  /** The agents the engine adds from the plan (coordinators, reducers, the final synthesis), from the last preview. */
  derived: z.array(z.object({
    id: AgentIdSchema, role: z.string(), tier: z.string(), model: z.string(), task: z.string(), byEngine: z.boolean(), batch: z.boolean().default(false),
  }).strict()),
  /** Derived agents past the listed ones (a map of hundreds of partitions), counted by role. */
  derivedMore: z.record(z.string(), count),
  agents: count,
  /** Agents that go through a Message Batch (batch mode); the estimate prices them at the batch rate. */
  batched: count.default(0),
  estimate: EstimateSchema.nullable(),
  /** The estimate of the plan as the planner made it, to compare against. */
  planned: EstimateSchema.nullable(),
  errors: z.array(z.string()),
  /** A preview of the latest edit is in flight: the estimate may be stale. */
  checking: z.boolean(),
  changed: z.boolean(),
  canApprove: z.boolean(),
  /** Model id per tier, for the tier picker. */
  models: z.record(z.string(), z.string()),
  /** A transient note: the last edit that could not apply, or where approval stands. */
  note: z.string().nullable(),
}).strict();
export type PlanEditorView = z.infer<typeof PlanEditorViewSchema>;

/** Host → webview. */
export const PlanHostMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('state'), view: PlanEditorViewSchema.nullable(), note: z.string().nullable() }).strict(),
]);
export type PlanHostMessage = z.infer<typeof PlanHostMessageSchema>;

/** Webview → host. */
export const PlanWebviewMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }).strict(),
  z.object({ type: z.literal('edit'), edit: PlanEditSchema }).strict(),
  z.object({ type: z.literal('reset') }).strict(),
  z.object({ type: z.literal('approve') }).strict(),
  z.object({ type: z.literal('decline') }).strict(),
  /** Opens one of the view's documents in an editor, by its id (never a path from the webview). */
  z.object({ type: z.literal('openDocument'), id: z.string().min(1).max(40) }).strict(),
]);
export type PlanWebviewMessage = z.infer<typeof PlanWebviewMessageSchema>;
