import { z } from 'zod';
import { globProblem } from './tools/glob';
import type { Tier } from './types';

/** Price per million tokens, USD. */
const usdPerMTok = z.number().nonnegative().max(10_000);
export const PriceSchema = z.object({
  input: usdPerMTok,
  output: usdPerMTok,
  cacheRead: usdPerMTok,
  cacheWrite: usdPerMTok,
}).strict();
export type Price = z.infer<typeof PriceSchema>;

/** A min–max count, both at most `most`. */
const range = (most: number) => z.object({ min: z.number().int().min(1).max(most), max: z.number().int().min(1).max(most) }).strict()
  .refine((d) => d.min <= d.max, 'min must not exceed max');

const tierMap = <T extends z.ZodTypeAny>(value: T) => z.object({ haiku: value, sonnet: value, opus: value }).strict();

export const DEFAULT_MODELS: Record<Tier, string> = {
  haiku: 'claude-haiku-5-5',
  sonnet: 'claude-sonnet-5-5',
  opus: 'claude-opus-5-5',
};

export const DEFAULT_PRICES: Record<string, Price> = {
  'claude-haiku-5-5': { input: 1, output: 5, cacheRead: 0.1, cacheWrite: 1.25 },
  'claude-sonnet-5-5': { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
  'claude-opus-5-5': { input: 5, output: 25, cacheRead: 0.5, cacheWrite: 6.25 },
};

/** What a request answered through a Message Batch costs against the same request on the realtime path. */
export const BATCH_PRICE_FACTOR = 0.5;

/** The stream idle timeout of a request that does not say its own (see `streamIdleTimeoutMs`). */
export const DEFAULT_STREAM_IDLE_TIMEOUT_MS = 30_000;

/**
 * Every knob of a run. The same schema validates `.orchestration/config.json`, CLI flags and the
 * VS Code settings, so an error always names the key that was wrong; every count and limit has a
 * maximum. Which source may set which key is configTrust.ts's policy.
 */
export const ConfigSchema = z.object({
  provider: z.enum(['anthropic', 'simulated']).default('anthropic'),
  /** null or "" (the VS Code setting's empty text box): the SDK default endpoint. */
  baseUrl: z.union([z.literal('').transform(() => null), z.string().url()]).nullable().default(null),
  models: tierMap(z.string().min(1)).default(DEFAULT_MODELS),
  maxConcurrent: z.number().int().min(1).max(64).default(8),
  tierCaps: tierMap(z.number().int().min(1).max(64)).default({ haiku: 12, sonnet: 8, opus: 4 }),
  scheduling: z.enum(['continuous', 'waves']).default('continuous'),
  /** Extra attempts for a worker whose output is missing or unfinished (0–2). */
  retries: z.number().int().min(0).max(2).default(1),
  /** Attempts per request on transient API errors (429, 5xx, 529, resets, timeouts). */
  transientRetries: z.number().int().min(0).max(10).default(6),
  /** First backoff for a transient error without retry-after; doubles each try, with jitter. */
  retryBaseMs: z.number().int().min(1).max(60_000).default(1_000),
  /** Longest wait honoured from a retry-after header, in ms; longer waits are capped. */
  maxRetryAfterMs: z.number().int().min(0).max(600_000).default(60_000),
  agentTimeoutMs: z.number().int().min(1_000).max(3_600_000).default(300_000),
  requestTimeoutMs: z.number().int().min(1_000).max(3_600_000).default(120_000),
  /**
   * A stream that sends no event for this long is aborted and retried as a transient error. The
   * API sends `ping` events while the model works, so silence this long means a stalled connection.
   */
  streamIdleTimeoutMs: z.number().int().min(100).max(600_000).default(DEFAULT_STREAM_IDLE_TIMEOUT_MS),
  maxTurns: z.number().int().min(1).max(100).default(20),
  maxTokensPerResponse: z.number().int().min(256).max(64_000).default(8_192),
  maxFailedWorkers: z.number().int().min(1).max(1_000).default(3),
  outputRoot: z.string().min(1).refine((p) => !p.includes('..'), 'must stay inside the workspace').default('.orchestration'),
  prices: z.record(z.string().min(1).max(200), PriceSchema).refine((p) => Object.keys(p).length <= 200, 'at most 200 models').default(DEFAULT_PRICES),
  /** Domain ids are letters, so at most 26. */
  domains: range(26).default({ min: 3, max: 5 }),
  workersPerDomain: range(1_000).default({ min: 3, max: 8 }),
  planRetries: z.number().int().min(0).max(5).default(2),
  maxCostUsd: z.number().positive().max(1_000_000).nullable().default(null),
  maxTokens: z.number().int().positive().max(1e12).nullable().default(null),
  /** Adaptive concurrency: halve a model's limit on 429/529, grow it back by one per success streak. */
  adaptiveConcurrency: z.boolean().default(true),
  promptCaching: z.boolean().default(true),
  /**
   * Batch mode: `auto` plans the work of roles that need one request and no tools (mappers,
   * reducers, experts and fan-out workers scoped to a few files, coordinators) into the Message
   * Batches API at half the price, asynchronously; `off` keeps every
   * new request on the realtime path. Unset: new plans stay realtime and a run keeps what its plan
   * said (a resume of a batched run goes on batching). Requests already in a batch are collected
   * whatever this says: nothing submitted is paid for twice.
   */
  batch: z.enum(['off', 'auto']).optional(),
  /** Where a batched request that errored, expired or was cancelled outside the run goes next. */
  batchRetry: z.enum(['batch', 'realtime']).default('batch'),
  /** First wait between polls of a submitted batch; doubles up to `batchPollMaxMs`. */
  batchPollMs: z.number().int().min(1).max(600_000).default(5_000),
  batchPollMaxMs: z.number().int().min(1).max(3_600_000).default(60_000),
  /** How long requests are gathered after the last one arrived before a batch is submitted. */
  batchGatherMs: z.number().int().min(0).max(60_000).default(500),
  /** Keep runs visible to git: the output root is created without its own `.gitignore` (`*`). */
  trackRunsInGit: z.boolean().default(false),
  /** Let agents and the planner see what `.gitignore` files and `.git/info/exclude` hide (secrets stay refused). */
  includeIgnored: z.boolean().default(false),
  /**
   * Most bytes of one agent's transcript (transcripts/<id>.jsonl); past it entries are left out
   * and a `truncated` entry says how many.
   */
  transcriptMaxBytes: z.number().int().min(10_000).max(100_000_000).default(1_000_000),
  /** Workspace-relative globs hidden from agents and the planner, e.g. `**\/dist`; VS Code adds files.exclude and search.exclude. */
  exclude: z.array(z.string().min(1).refine((g) => !g.split(/[\\/]/).includes('..'), 'must not contain ".."')).max(1000).default([]),
  /**
   * Globs of files agents never read, added to the built-in secret rules (tools/secretFiles.ts),
   * e.g. `*.secret` or `deploy/prod/**`; a glob without "/" matches names at any depth. It only
   * adds: no value turns a built-in rule off, so no "!" negation.
   */
  secretFiles: z.array(z.string().trim().min(1).max(500)
    .refine((g) => !g.startsWith('!'), 'adds a secret pattern; a "!" negation cannot remove one')
    .superRefine((g, c) => {
      const problem = globProblem(g);
      if (problem !== null) c.addIssue({ code: 'custom', message: problem });
    }))
    .max(200).default([]),
  /**
   * Build runs: a command the engine (never the model) runs in each builder's worktree after it
   * finishes, e.g. `npm test`; a failure gives the builder another attempt with the output. Empty:
   * no check. Here only the user's own (settings, flags); a repository's arrives as a
   * WorkspaceCommand (configTrust.ts) and runs only with the user's consent.
   */
  verifyCommand: z.string().trim().max(2_000).transform((c) => c || null).nullable().default(null),
  verifyTimeoutMs: z.number().int().min(1_000).max(3_600_000).default(600_000),
  /**
   * Most tokens of `<outputRoot>/memory.md` (the lessons the user accepted) a planner or builder is
   * sent; past it the oldest entries are left out, and the run says so. 0: no memory in prompts.
   */
  memoryTokens: z.number().int().min(0).max(50_000).default(2_000),
  /**
   * Build runs: rounds a fixer gets when the check fails on the assembled tree (each round: the
   * fixer edits files the change touched, then the check runs again). 0: no fixer; a still-failing
   * check marks the change "integration failed".
   */
  fixRounds: z.number().int().min(0).max(5).default(2),
  /**
   * Build runs: auditors (security, correctness, tests, style) read the combined change after the
   * integration check; critical findings block Ship, major ones go back to the owning builder once.
   */
  harden: z.boolean().default(true),
  /** Build runs: where builders' worktrees live (absolute); empty: the user cache folder. Never inside the workspace. */
  worktreesDir: z.string().trim().transform((c) => c || null).nullable().default(null)
    .refine((d) => d === null || /^([a-zA-Z]:)?[\\/]/.test(d), 'must be an absolute path'),
  /** Build runs: folders of the workspace linked (not copied) into each worktree when it lacks them, so checks can run there. */
  worktreeLinks: z.array(z.string().trim().min(1).refine((d) => !d.split(/[\\/]/).includes('..') && !/^([a-zA-Z]:)?[\\/]/.test(d), 'must be a workspace-relative folder'))
    .max(20).default(['node_modules']),
}).strict();

/** The ignore options of a config (and the user's secret globs), for the tools' context, the workspace overview and the scope check. */
export function ignoreOptionsOf(config: Pick<Config, 'includeIgnored' | 'exclude' | 'secretFiles'>): { includeIgnored: boolean; exclude: readonly string[]; secretFiles: readonly string[] } {
  return { includeIgnored: config.includeIgnored, exclude: config.exclude, secretFiles: config.secretFiles };
}

export type Config = z.infer<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;

export class ConfigError extends Error {
  constructor(message: string, readonly issues: string[] = []) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Formats zod issues as "key.path: what was wrong" lines. */
export function formatIssues(error: z.ZodError, prefix = ''): string[] {
  return error.issues.map((i) => {
    const key = [prefix, ...i.path.map(String)].filter(Boolean).join('.');
    return `${key || '(root)'}: ${i.message}`;
  });
}

/** Validates a partial config (file, flags, settings merged) and fills defaults. */
export function parseConfig(input: unknown, source = 'config'): Config {
  const r = ConfigSchema.safeParse(input ?? {});
  if (!r.success) {
    const issues = formatIssues(r.error);
    throw new ConfigError(`Invalid ${source}:\n  ${issues.join('\n  ')}`, issues);
  }
  return r.data;
}

/** Shallow-merges config layers; nested tier maps merge per key so one tier can be overridden alone. */
export function mergeConfig(...layers: Array<Record<string, unknown> | undefined>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const layer of layers) {
    if (!layer) continue;
    for (const [k, v] of Object.entries(layer)) {
      if (v === undefined) continue;
      const prev = out[k];
      out[k] = isPlainObject(prev) && isPlainObject(v) ? { ...prev, ...v } : v;
    }
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The price of a model id; a reported id with a date suffix (claude-sonnet-5-5-20261001) matches by prefix. */
export function findPrice(prices: Config['prices'], model: string): Price | undefined {
  return prices[model] ?? Object.entries(prices).find(([k]) => model.startsWith(k))?.[1];
}

/** USD for one response's usage, or null when the model has no price. */
export function costOf(prices: Config['prices'], model: string, u: { input: number; output: number; cacheRead: number; cacheWrite: number }): number | null {
  const p = findPrice(prices, model);
  return p ? (u.input * p.input + u.output * p.output + u.cacheRead * p.cacheRead + u.cacheWrite * p.cacheWrite) / 1e6 : null;
}
