import { parseArgs } from 'node:util';
import { PATTERN_CHOICES, type PatternChoice } from '../engine';

export class UsageError extends Error {
  constructor(message: string) { super(message); this.name = 'UsageError'; }
}

export const USAGE = `Usage:
  orchestrate run "<task>" [--pattern NAME] [--workspace DIR] [--yes] [--simulate] [--json] [--focus DIR]...
                           [--scheduling continuous|waves] [--max-concurrent N] [--retries N]
                           [--max-cost USD] [--max-tokens N] [--output-root DIR] [--set key=value]...
  orchestrate resume <runId> [--workspace DIR] [--simulate] [--json] [--retry-failed]
  orchestrate status [runId] [--workspace DIR] [--json]
  orchestrate list [--workspace DIR] [--json]
  orchestrate demo [--pattern NAME]             the simulated example on a scratch git copy of the demo shop
  orchestrate diff <runId> [--stat]             a build run's proposed change (changes.patch)
  orchestrate apply <runId> [--file PATH]...    writes it to your working tree (never commits)
  orchestrate discard <runId>                   drops it: worktrees and branches removed

Patterns (--pattern, default auto: the planner chooses and says why): ${PATTERN_CHOICES.join(', ')}.
Settings come from .orchestration/config.json in the workspace, then from flags.
The API key comes from ANTHROPIC_API_KEY; ANTHROPIC_BASE_URL points at another endpoint.
Exit codes: 0 completed, 3 partial, 1 failed, 2 usage or configuration error, 130 cancelled.`;

export interface CliArgs {
  command: 'run' | 'resume' | 'status' | 'list' | 'diff' | 'apply' | 'discard' | 'demo' | 'help';
  positional: string | undefined;
  workspace: string;
  yes: boolean;
  simulate: boolean;
  json: boolean;
  retryFailed: boolean;
  /** `apply --file`: apply only these files of the change (repository-relative). */
  files: string[];
  /** `diff --stat`: a line per file instead of the patch. */
  stat: boolean;
  focus: string[];
  /** The orchestration pattern, or auto to let the planner choose. */
  pattern: PatternChoice;
  simLatencyMs: number | undefined;
  /** Config overrides from flags, validated later with the project file by parseConfig. */
  overrides: Record<string, unknown>;
}

const num = (flag: string, v: string | undefined): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UsageError(`${flag} expects a number, got "${v}"`);
  return n;
};

/** Parses argv (without node and script). Throws UsageError with the reason. */
export function parseCli(argv: string[]): CliArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv, allowPositionals: true, strict: true,
      options: {
        workspace: { type: 'string', short: 'w' }, yes: { type: 'boolean', short: 'y' },
        simulate: { type: 'boolean' }, json: { type: 'boolean' }, 'retry-failed': { type: 'boolean' },
        focus: { type: 'string', multiple: true }, scheduling: { type: 'string' }, pattern: { type: 'string' },
        'max-concurrent': { type: 'string' }, retries: { type: 'string' }, 'max-cost': { type: 'string' },
        'max-tokens': { type: 'string' }, 'output-root': { type: 'string' }, set: { type: 'string', multiple: true },
        'sim-latency': { type: 'string' }, help: { type: 'boolean', short: 'h' },
        file: { type: 'string', multiple: true }, stat: { type: 'boolean' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values: v, positionals } = parsed;
  const [cmd, arg, ...extra] = positionals;
  if (v.help || cmd === 'help' || cmd === undefined) return { ...base(v), command: 'help', positional: undefined };
  if (!['run', 'resume', 'status', 'list', 'diff', 'apply', 'discard', 'demo'].includes(cmd)) throw new UsageError(`Unknown command "${cmd}"`);
  if (extra.length) throw new UsageError(`Unexpected argument "${extra[0]}" (quote the task)`);
  if (cmd === 'run' && !arg?.trim()) throw new UsageError('run needs a task: orchestrate run "Audit this repo for security issues"');
  if (['resume', 'diff', 'apply', 'discard'].includes(cmd) && !arg) throw new UsageError(`${cmd} needs a run id (see: orchestrate list)`);
  return { ...base(v), command: cmd as CliArgs['command'], positional: arg };
}

function base(v: Record<string, string | boolean | string[] | undefined>): Omit<CliArgs, 'command' | 'positional'> {
  const overrides: Record<string, unknown> = {};
  const set = (k: string, val: unknown): void => { if (val !== undefined) overrides[k] = val; };
  set('scheduling', v.scheduling);
  set('maxConcurrent', num('--max-concurrent', v['max-concurrent'] as string | undefined));
  set('retries', num('--retries', v.retries as string | undefined));
  set('maxCostUsd', num('--max-cost', v['max-cost'] as string | undefined));
  set('maxTokens', num('--max-tokens', v['max-tokens'] as string | undefined));
  set('outputRoot', v['output-root']);
  for (const pair of (v.set as string[] | undefined) ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set expects key=value, got "${pair}"`);
    const key = pair.slice(0, eq);
    const raw = pair.slice(eq + 1);
    let value: unknown = raw;
    try { value = JSON.parse(raw); } catch { /* a plain string */ }
    setPath(overrides, key.split('.'), value);
  }
  return {
    workspace: (v.workspace as string | undefined) ?? process.cwd(),
    yes: !!v.yes, simulate: !!v.simulate, json: !!v.json, retryFailed: !!v['retry-failed'],
    files: (v.file as string[] | undefined) ?? [], stat: !!v.stat,
    focus: (v.focus as string[] | undefined) ?? [],
    pattern: patternOf(v.pattern as string | undefined),
    simLatencyMs: num('--sim-latency', v['sim-latency'] as string | undefined),
    overrides,
  };
}

function patternOf(raw: string | undefined): PatternChoice {
  if (raw === undefined) return 'auto';
  const choice = PATTERN_CHOICES.find((p) => p === raw);
  if (!choice) throw new UsageError(`--pattern "${raw}" is not a pattern; expected one of ${PATTERN_CHOICES.join(', ')}`);
  return choice;
}

function setPath(obj: Record<string, unknown>, keys: string[], value: unknown): void {
  let cur = obj;
  for (const k of keys.slice(0, -1)) {
    if (typeof cur[k] !== 'object' || cur[k] === null) cur[k] = {};
    cur = cur[k] as Record<string, unknown>;
  }
  cur[keys[keys.length - 1]] = value;
}
