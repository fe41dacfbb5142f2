import { z } from 'zod';
import { AgentFieldSchema, unknownAgentErrors } from '../../agents/catalog';
import { TIERS } from '../../types';
import { scopeErrors } from '../fan-out/plan';
import type { BasePlan, PlanningContext } from '../pattern';
import { plural } from '../../../shared/words';

/** A panel compares perspectives: fewer than three is not a panel, more than seven stops being read. */
export const PANEL_EXPERTS = { min: 3, max: 7 } as const;

export const ExpertSpecSchema = z.object({
  // Any eN passes here, so a panel of eight gets the count error from validatePanel, not eight id errors.
  id: z.string().regex(/^e[1-9][0-9]?$/, 'expert id is e and a number, like e1'),
  /** The role the expert judges from ("security reviewer", "SRE"); distinct across the panel. */
  perspective: z.string().trim().min(2, 'perspective names a role, like "security reviewer"').max(80),
  /** What this perspective examines to answer the question. */
  task: z.string().trim().min(8, 'task must say what to examine (8+ characters)').max(600),
  /** Files or folders to look at; empty means the whole workspace (or the run's focus). */
  scope: z.array(z.string().trim().min(1)).max(20).default([]),
  tier: z.enum(TIERS),
  /** The user's agent definition this expert runs as (`.claude/agents/<name>.md`). */
  agent: AgentFieldSchema,
}).strict();

/** What the planner submits for a panel run. */
export const PanelSubmitSchema = z.object({
  /** The one question every expert answers with yes, no or conditional. */
  question: z.string().trim().min(8, 'question must be a real question (8+ characters)').max(600),
  /** Context every expert reads (what is being judged, where it lives). */
  brief: z.string().trim().max(1200).default(''),
  experts: z.array(ExpertSpecSchema),
  /** Answers needed for the panel's verdict to stand; absent = more than half of the experts. */
  quorum: z.number().int().min(1).optional(),
});

export type ExpertSpec = z.infer<typeof ExpertSpecSchema>;
export type PanelPlan = z.infer<typeof PanelSubmitSchema> & BasePlan;

/** The quorum of a plan: its own, or a strict majority of the planned experts. */
export function quorumOf(plan: Pick<PanelPlan, 'experts' | 'quorum'>): number {
  return plan.quorum ?? Math.floor(plan.experts.length / 2) + 1;
}

/** Perspectives compare equal when they differ only in case, spacing or punctuation ("SRE" = "sre."). */
const perspectiveKey = (p: string): string => p.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();

/**
 * The panel checks beyond the schema: 3–7 experts, unique ids, distinct perspectives (a panel of
 * two identical reviewers is one opinion counted twice), a reachable quorum, scopes that exist
 * inside the focus. Every error says what was expected and what came.
 */
export function validatePanel(plan: PanelPlan, ctx: PlanningContext): string[] {
  const errors: string[] = [];
  const n = plan.experts.length;
  if (n < PANEL_EXPERTS.min || n > PANEL_EXPERTS.max) {
    errors.push(`Panel has ${plural(n, 'expert')}; between ${PANEL_EXPERTS.min} and ${PANEL_EXPERTS.max} are allowed, each with a distinct perspective`);
  }
  const ids = new Set<string>();
  const byPerspective = new Map<string, string>();
  for (const e of plan.experts) {
    if (ids.has(e.id)) errors.push(`Expert id "${e.id}" is used twice`);
    ids.add(e.id);
    const key = perspectiveKey(e.perspective);
    const first = byPerspective.get(key);
    if (first !== undefined) {
      errors.push(`Experts "${first}" and "${e.id}" share the perspective "${e.perspective}"; each expert needs a distinct perspective`);
    } else byPerspective.set(key, e.id);
    errors.push(...scopeErrors(`Expert "${e.id}"`, e.scope, ctx));
    errors.push(...unknownAgentErrors(`Expert "${e.id}"`, e.agent, ctx.agentDefinitions));
  }
  if (plan.quorum !== undefined && plan.quorum > n) {
    errors.push(`Quorum is ${plan.quorum} but the panel has ${plural(n, 'expert')}; the quorum must be at most the number of experts`);
  }
  return errors;
}
