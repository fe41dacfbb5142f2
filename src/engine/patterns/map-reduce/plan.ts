import { z } from 'zod';
import { compileGlob } from '../../tools/glob';
import { TIERS } from '../../types';
import { withinFocus, type BasePlan, type PlanningContext } from '../pattern';

/** Tokens of file content one mapper is sent when the plan names no budget (≈ 240 KB of source). */
export const DEFAULT_MAPPER_TOKENS = 60_000;
/** Files one mapper answers for when the plan names no limit: its answer must cover each one. */
export const DEFAULT_FILES_PER_MAPPER = 25;
/** Outputs one reducer combines when the plan names no fan-in (K). */
export const DEFAULT_FAN_IN = 8;

/** 60000 → "60,000", without loading ICU (toLocaleString's first call costs ~100 ms of CPU). */
export const thousands = (n: number): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

const Glob = z.string().trim().min(1).max(200);

/** What the planner submits for a map-reduce run: one question, the files to ask it of, and the budget. */
export const MapReduceSubmitSchema = z.object({
  question: z.string().trim().min(8, 'question must say what to ask of each file (8+ characters)').max(2000)
    .describe('The one question every mapper answers for each of its files, e.g. "Rate the quality of the comments (1–5) and say why".'),
  include: z.array(Glob).min(1, 'include lists at least one glob').max(20)
    .describe('Globs of the files to ask, relative to the workspace root, e.g. ["**/*.ts"]. A glob without "/" matches names at any depth.'),
  exclude: z.array(Glob).max(50).default([])
    .describe('Globs of files to leave out, e.g. ["**/*.test.ts", "dist/**"].'),
  mapperTier: z.enum(TIERS).describe('Model tier of the mappers (haiku for simple per-file questions).'),
  mapperTokens: z.number().int().min(2_000).max(150_000).default(DEFAULT_MAPPER_TOKENS)
    .describe('Most tokens of file content one mapper is sent.'),
  filesPerMapper: z.number().int().min(1).max(200).default(DEFAULT_FILES_PER_MAPPER)
    .describe('Most files one mapper answers for.'),
  fanIn: z.number().int().min(2).max(16).default(DEFAULT_FAN_IN)
    .describe('Most outputs one reducer combines (K of the reduce tree).'),
});

export type MapReducePlan = z.infer<typeof MapReduceSubmitSchema> & BasePlan;

/**
 * Checks beyond the schema that need no file system: every glob compiles and none climbs out of
 * the workspace. Whether the globs select anything is checked when the plan is compiled (the
 * planner is re-asked with that error too).
 */
export function validateMapReduce(plan: MapReducePlan, ctx: PlanningContext): string[] {
  const errors: string[] = [];
  for (const [key, globs] of [['include', plan.include], ['exclude', plan.exclude]] as const) {
    for (const g of globs) {
      try {
        const compiled = compileGlob(g);
        if (key === 'include' && compiled.prefix && !withinFocus(compiled.prefix, ctx.focus) && !ctx.focus.some((f) => withinFocus(f, [compiled.prefix]))) {
          errors.push(`include glob "${g}" starts at ${compiled.prefix}/, outside the focus (${ctx.focus.join(', ')}); use globs inside it`);
        }
      } catch (err) {
        // Any compile failure is the planner's to fix, whichever glob library raised it.
        errors.push(`${key} glob "${g}" is not a valid glob: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (g.startsWith('/')) errors.push(`${key} glob "${g}" is absolute; globs are relative to the workspace root`);
    }
  }
  return errors;
}
