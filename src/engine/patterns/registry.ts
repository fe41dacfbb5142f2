/**
 * The pattern registry: the one place that lists the patterns. A new pattern is a new folder
 * under patterns/ and one line here; nothing else in the engine learns its name.
 */
import { z } from 'zod';
import { formatIssues } from '../config';
import type { PatternName } from '../types';
import { fanOut } from './fan-out';
import { panel } from './panel';
import { single } from './single';
import { supervisor } from './supervisor';
import { pipeline } from './pipeline';
import { mapReduce } from './map-reduce';
import { build } from './build';
import { workflow } from './workflow';
import { BasePlanSchema, type BasePlan, type Pattern, type PlanningContext } from './pattern';

// Each pattern is typed by its own plan; the registry holds them side by side.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyPattern = Pattern<any>;

export const PATTERNS: readonly AnyPattern[] = [fanOut, pipeline, panel, mapReduce, supervisor, build, single, workflow];

/** The patterns the planner may plan (a workflow is planned from its file instead). */
export const PLANNABLE_PATTERNS: readonly AnyPattern[] = PATTERNS.filter((p) => !p.plannedFromFile);

/** What the user may ask for: a pattern by name (PatternName), or `auto` to let the planner choose. */
export type PatternChoice = string;

export function patternNamed(name: string): AnyPattern | undefined {
  return PATTERNS.find((p) => p.name === name);
}

/** Whether runs of the pattern named so propose a change to the code (see PatternView.producesChanges); an unknown or absent name does not. */
export function producesChanges(name: string | undefined): boolean {
  return !!(name && patternNamed(name)?.view.producesChanges);
}

/**
 * The pattern that changes code (the first whose runs propose a change: build): what fixing an
 * audit's findings (`--from`, Fix Findings) and a greenfield demo plan with.
 */
export const CHANGE_PATTERN: PatternName = PATTERNS.find((p) => p.view.producesChanges)!.name;

/** The pattern a workflow file runs as (the one planned from its file, not by the planner). */
export const FILE_PATTERN: AnyPattern = PATTERNS.find((p) => p.plannedFromFile)!;

/** Names a user may pass to `--pattern` (auto first); `single` is the planner's own call in auto. */
export const PATTERN_CHOICES: readonly PatternChoice[] = ['auto', ...PLANNABLE_PATTERNS.map((p) => p.name).filter((n) => n !== 'single')];

/** A plan of any pattern: the shared fields and the pattern's own. */
export type AnyPlan = BasePlan & Record<string, unknown>;

export type PlanCheck = { ok: true; plan: AnyPlan; pattern: AnyPattern } | { ok: false; errors: string[] };

/** The full zod schema of one pattern's plan (shared fields + its own), strict: unknown keys are errors. */
export function planSchemaOf(pattern: AnyPattern): z.ZodObject {
  return BasePlanSchema.extend(pattern.submitSchema.shape).extend(pattern.planExtras ?? {}).strict();
}

/**
 * Validates untrusted plan JSON (from the model, or plan.json on disk) against its pattern's
 * schema and checks. A plan.json written before patterns existed has no `pattern`: fan-out.
 * `ctx` null skips the pattern's checks (bounds were checked when it was planned; only the shape
 * matters on reopen).
 */
export function validatePlan(input: unknown, ctx: PlanningContext | null): PlanCheck {
  const raw = typeof input === 'object' && input !== null && !('pattern' in input) ? { ...input, pattern: 'fan-out' } : input;
  const name = typeof raw === 'object' && raw !== null ? (raw as { pattern?: unknown }).pattern : undefined;
  const pattern = typeof name === 'string' ? patternNamed(name) : undefined;
  if (!pattern) {
    return { ok: false, errors: [`plan.pattern: expected one of ${PATTERNS.map((p) => p.name).join(', ')}; got ${JSON.stringify(name)}`] };
  }
  const parsed = planSchemaOf(pattern).safeParse(raw);
  if (!parsed.success) return { ok: false, errors: formatIssues(parsed.error, 'plan') };
  const plan = parsed.data as AnyPlan;
  const errors = ctx ? pattern.validate(plan, ctx) : [];
  return errors.length ? { ok: false, errors } : { ok: true, plan, pattern };
}
