/**
 * The build pipeline's run-folder files after assembly (DESIGN §3, §4d): what the integration
 * check, the fixer and the hardeners write, and what Ship, the views and the CLI read back. Read
 * back through zod like every run-folder file: a run folder is untrusted input, and a file that
 * does not parse counts as missing, never as a pass.
 *
 * It sits at the engine's root, below every folder, rather than in patterns/build: findings,
 * memory, Ship and the views read these files too, and the build pattern imports those folders,
 * so keeping the schemas in the pattern made a cycle between the folders.
 */
import * as path from 'node:path';
import { z } from 'zod';
import { readTextOrNull } from './files';

export const INTEGRATION_FILE = 'integration.json';
export const TALLY_FILE = 'harden/tally.json';
export const ARCHITECTURE_FILE = 'architecture.md';
/** The findings a build started with `--from` / Fix Findings was asked to fix, and what became of each. */
export const FINDINGS_FILE = 'findings.json';
/** What Ship made: the branch, the commit, whether it was pushed. */
export const SHIP_FILE = 'ship.json';

/** One run of the check command on the assembled tree; round 0 is the first, later rounds follow a fixer's edit. */
export const IntegrationRoundSchema = z.object({
  round: z.number().int().min(0),
  ok: z.boolean(),
  /** Exit code, or null when killed (timeout, cancel). */
  code: z.number().int().nullable(),
  timedOut: z.boolean(),
  /** Run-folder-relative log of this round, e.g. `checks/integration-0.log`. */
  log: z.string(),
  ms: z.number().int().min(0),
});

/**
 * `integration.json`. `passed`: the check passed on the assembled tree (maybe after fixer rounds);
 * `failed`: still failing after the last round (never shippable); `no-check`: no check command is
 * set, so nothing was run (Ship says so); `nothing-merged`: no builder's change was assembled.
 */
export const IntegrationResultSchema = z.object({
  status: z.enum(['passed', 'failed', 'no-check', 'nothing-merged']),
  command: z.string().nullable(),
  /** The commit of the integration branch the last round checked. */
  ref: z.string(),
  rounds: z.array(IntegrationRoundSchema),
  /** Builders whose branches were merged into the integration branch, in order (optional: added by the pipeline step). */
  merged: z.array(z.string()).optional(),
  /** Approved branches left out because they conflicted, each with its files and why. */
  conflicts: z.array(z.object({ agentId: z.string(), files: z.array(z.string()), message: z.string() })).optional(),
  /** The fixer's rounds' sentences and the files it changed; empty when it had nothing to fix. */
  fixes: z.array(z.object({ round: z.number().int().min(1), note: z.string(), files: z.array(z.string()) })).optional(),
});
export type IntegrationResult = z.infer<typeof IntegrationResultSchema>;

export const SEVERITIES = ['critical', 'major', 'minor'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const HARDEN_CONCERNS = ['security', 'correctness', 'tests', 'style'] as const;
export type HardenConcern = (typeof HARDEN_CONCERNS)[number];
/** A hardener's agent id: here, not in compile.ts, because harden.ts needs it while compile.ts's import graph is still loading. */
export const hardenerId = (concern: HardenConcern): string => `h-${concern}`;

export const HardenFindingSchema = z.object({
  /** `h-security-1`: the hardener's id and a number. */
  id: z.string(),
  severity: z.enum(SEVERITIES),
  concern: z.enum(HARDEN_CONCERNS),
  file: z.string().nullable(),
  line: z.number().int().min(1).nullable(),
  text: z.string(),
  /** The builder that owns `file`, when one does. */
  owner: z.string().nullable(),
  /** `open`: listed (minor) or blocking (critical); `sent`: a major one given to its owner's fix round; `fixed`/`not-fixed`: after that round. */
  status: z.enum(['open', 'sent', 'fixed', 'not-fixed']),
});
export type HardenFinding = z.infer<typeof HardenFindingSchema>;

/** `harden/tally.json`: the hardening verdicts of the combined change. `enabled: false` when the setting turned it off. */
export const HardenTallySchema = z.object({
  enabled: z.boolean(),
  critical: z.number().int().min(0),
  major: z.number().int().min(0),
  minor: z.number().int().min(0),
  findings: z.array(HardenFindingSchema),
});
export type HardenTally = z.infer<typeof HardenTallySchema>;

/** One finding of an audit run (Fix Findings), as the engine listed it from the run's synthesis files. */
export const FindingSchema = z.object({
  /** `F1`, `F2` …: numbered in the order the audit's files list them, the same on every listing of one run. */
  id: z.string().regex(/^F[1-9][0-9]{0,3}$/),
  text: z.string().min(1).max(2_000),
  /** Where the finding states one: critical / high / major / medium / minor / low, mapped to three tiers. */
  severity: z.enum(SEVERITIES).nullable(),
  /** The workspace-relative file it cites, when it cites one. */
  file: z.string().nullable(),
  line: z.number().int().min(1).nullable(),
  /** The audit run's file it came from, run-folder-relative (`synthesis/a.md`). */
  source: z.string(),
});
export type Finding = z.infer<typeof FindingSchema>;

/** `findings.json`: the findings the user chose to fix, and the audit run they came from. */
export const FindingsFileSchema = z.object({
  from: z.string(),
  /** The audit's pattern (fan-out, panel, map-reduce). */
  pattern: z.string(),
  findings: z.array(FindingSchema).min(1),
  /** The audit's findings the user left unticked: a lesson for memory.md when proposed (never fixed here). */
  notChosen: z.array(FindingSchema).optional(),
});
export type FindingsFile = z.infer<typeof FindingsFileSchema>;

/** `ship.json`: the one commit Ship made. */
export const ShipRecordSchema = z.object({
  branch: z.string(),
  commit: z.string(),
  base: z.string(),
  /** True when the repository's HEAD had moved since the run started (the branch still starts at `base`). */
  headMoved: z.boolean(),
  pushedTo: z.string().nullable(),
  at: z.string(),
});
export type ShipRecord = z.infer<typeof ShipRecordSchema>;

/** A run-folder JSON file through its schema, or null when missing, torn or not of that shape. */
export async function readRunJson<T>(runDir: string, file: string, schema: z.ZodType<T>): Promise<T | null> {
  const text = await readTextOrNull(path.join(runDir, file));
  if (text === null) return null;
  try {
    const parsed = schema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch { return null; }
}
