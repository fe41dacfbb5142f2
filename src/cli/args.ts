import { parseArgs } from 'node:util';
import { CHANGE_PATTERN, MAX_TASK_CHARS, PATTERN_CHOICES, RUN_ID_PATTERN, TIERS, type PatternChoice, type Tier } from '../engine';

export class UsageError extends Error {
  constructor(message: string) { super(message); this.name = 'UsageError'; }
}

export const USAGE = `Usage:
  orchestrate run "<task>" | --task-file PATH|- [--pattern NAME] [--workspace DIR] [--yes] [--allow-workspace-command]
                           [--simulate] [--json] [--focus DIR]... [--from RUNID [--findings 1,3|all]]
                           [--scheduling continuous|waves] [--max-concurrent N] [--retries N]
                           [--max-cost USD] [--max-tokens N] [--output-root DIR] [--set key=value]...
                           [--batch | --no-batch]
  orchestrate run --workflow NAME [--param name=value]... [--workspace DIR] [--yes] [--allow-workspace-command]
                           [--simulate] [--json] [--focus DIR]...
                                                a workflow file (.orchestration/workflows/NAME.yaml), planned from
                                                the file without the planner; every parameter without a default
                                                must be given
  orchestrate approve <runId> <stageId> [--workspace DIR]
                                                approves a workflow stage's approval gate; resume the run then
  orchestrate resume <runId> [--workspace DIR] [--simulate] [--json] [--retry-failed] [--allow-workspace-command]
                             [--allow-foreign-run] [--batch | --no-batch]
  orchestrate status [runId] [--workspace DIR] [--json]
  orchestrate list [--workspace DIR] [--json]
  orchestrate demo [--pattern NAME]             the simulated example on a scratch git copy of the demo shop
  orchestrate demo --greenfield                 a simulated greenfield build in a new, empty git repository
  orchestrate diff <runId> [--workspace DIR] [--stat]            a build run's proposed change (changes.patch)
  orchestrate apply <runId> [--workspace DIR] [--file PATH]...   writes it to your working tree (never commits)
  orchestrate discard <runId> [--workspace DIR]                  drops it: worktrees and branches removed
  orchestrate ship <runId> [--branch NAME] [--push REMOTE] [--message-file F] [--workspace DIR] [--allow-foreign-run]
                                                one commit of it on a new branch (default orchestration/<runId>)
  orchestrate transcript <runId> <agentId> [--workspace DIR] [--json]
  orchestrate stop <runId> <agentId> [--workspace DIR]
  orchestrate rerun <runId> <agentId> [--instruction TEXT] [--workspace DIR] [--simulate] [--json] [--allow-foreign-run]
  orchestrate ask <runId> <agentId> "<question>" [--workspace DIR] [--simulate] [--json] [--allow-foreign-run]
  orchestrate mcp [--workspace DIR] [--simulate] [--allow-agent-approval] [--allow-workspace-command]
                                                an MCP server on stdio: other agents plan, run and read runs
  orchestrate memory <runId> [--accept all|ID,...] [--workspace DIR]
                                                the lessons a build proposed for .orchestration/memory.md: asks about
                                                each on a terminal; --accept adds them without asking
  orchestrate agents [--workspace DIR] [--json]  your agent definitions (.claude/agents/*.md, ~/.claude/agents,
                                                .orchestration/agents): what each gets, where it came from,
                                                which are shadowed, and the files that are not valid
  orchestrate workflows [list|validate] [--workspace DIR] [--json]
                                                your workflows (.orchestration/workflows/*.yaml): params and stages;
                                                validate exits 2 printing each error as file:line:col: message
  orchestrate add-worker <runId> --group ID --task TEXT --scope PATH... --tier haiku|sonnet|opus
                         [--perspective TEXT] [--workspace DIR] [--simulate] [--json] [--allow-foreign-run]

From a clone (after npm ci and npm run build), run it as npx orchestrate; --workspace defaults to the
current folder.
The task is at most ${MAX_TASK_CHARS.toLocaleString('en-US')} characters; --task-file reads it from a file (- for stdin), past the
shell's argument limit. Put longer material in a workspace file and name it in the task.
--from RUNID plans a build that fixes the findings of a finished fan-out, panel or map-reduce run (the task
may then be left out): you pick which at a prompt, with --findings 1,3 (or all), or --yes picks them all.
Patterns (--pattern, default auto: the planner chooses and says why): ${PATTERN_CHOICES.join(', ')}.
Settings come from .orchestration/config.json in the workspace, then from flags. The repository's file is
untrusted: it may not set baseUrl, provider, prices, worktreesDir, worktreeLinks, includeIgnored or
autoApprovePlan, nor raise a limit above its default (those are ignored, with a warning; use --set).
Its verifyCommand runs only once you approve it: at the prompt, or with --allow-workspace-command.
The API key comes from ANTHROPIC_API_KEY; ANTHROPIC_BASE_URL points at another endpoint.
stop acts on a run executing in another process through its control folder; rerun, ask and add-worker
refuse a run that another process or window is executing; so do run and resume (one owner per run).
resume, rerun, ask, add-worker and ship refuse a run folder not created on this machine (shipped in
the repository, copied or moved) unless --allow-foreign-run says you read the warning and want to run
its plan anyway.
--batch sends single-turn work (map-reduce mappers and reducers, panel experts scoped to a few files)
through the Message Batches API at half the price, answered within 24 h; a resume collects submitted batches and never submits them again.
--no-batch keeps new requests on the realtime path.
Exit codes: 0 completed, 3 partial, 1 failed or refused, 2 usage or configuration error, 130 cancelled.`;

/** The commands that run agents of an existing run, and so refuse one not created on this machine. */
const FOREIGN_RUN_COMMANDS = new Set(['resume', 'rerun', 'ask', 'add-worker', 'ship']);

const COMMANDS = ['approve', 'run', 'resume', 'status', 'list', 'demo', 'diff', 'apply', 'discard', 'ship', 'transcript', 'stop', 'rerun', 'ask', 'add-worker', 'mcp', 'memory', 'agents', 'workflows'] as const;
export type CliCommand = (typeof COMMANDS)[number] | 'help';

/** A worker to add (add-worker), from flags. */
export interface WorkerFlags {
  group: string;
  task: string;
  scope: string[];
  tier: Tier;
  perspective?: string;
}

export interface CliArgs {
  command: CliCommand;
  /** The first argument after the command (the task, the run id). */
  positional: string | undefined;
  /** run: read the task from this file instead (`-`: standard input). */
  taskFile: string | undefined;
  /** Every argument after the command: run id, agent id, question. */
  positionals: string[];
  /** rerun: the user's extra instruction. */
  instruction: string | undefined;
  /** add-worker: the worker. */
  newWorker: WorkerFlags | undefined;
  workspace: string;
  yes: boolean;
  /** Consent to run the repository's own check command (its verifyCommand), as the plan shows it. */
  allowWorkspaceCommand: boolean;
  simulate: boolean;
  json: boolean;
  retryFailed: boolean;
  /** resume: run a run folder not created on this machine, after its warning. */
  allowForeignRun: boolean;
  /** mcp: an agent may approve runs and apply changes when its client cannot ask the user (no MCP elicitation). */
  allowAgentApproval: boolean;
  /** `apply --file`: apply only these files of the change (repository-relative). */
  files: string[];
  /** `diff --stat`: a line per file instead of the patch. */
  stat: boolean;
  /** `memory --accept`: lesson ids (or `all`) to add to memory.md without asking. */
  accept: string[];
  /** ship: the branch to create (default orchestration/<runId>). */
  branch: string | undefined;
  /** ship: push the new branch to this remote, as the user's own git. */
  push: string | undefined;
  /** ship: the commit message from this file instead of the draft. */
  messageFile: string | undefined;
  focus: string[];
  /** run --workflow: the workflow to run (by its name), planned from its file. */
  workflow: string | undefined;
  /** run --param name=value: the workflow's parameters. */
  params: Record<string, string>;
  /** The orchestration pattern, or auto to let the planner choose. */
  pattern: PatternChoice;
  /** run --from: the audit run whose findings the build fixes. */
  from: string | undefined;
  /** run --findings: which of them (`1,3`, `F2`, `all`); unset, the user is asked (or, under --yes, all). */
  findings: string | undefined;
  simLatencyMs: number | undefined;
  /** demo: the greenfield build (an empty repository, an architect and a scaffold) instead of the demo shop. */
  greenfield: boolean;
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
        workspace: { type: 'string', short: 'w' }, yes: { type: 'boolean', short: 'y' }, 'allow-workspace-command': { type: 'boolean' },
        simulate: { type: 'boolean' }, json: { type: 'boolean' }, 'retry-failed': { type: 'boolean' }, 'allow-foreign-run': { type: 'boolean' },
        'allow-agent-approval': { type: 'boolean' }, greenfield: { type: 'boolean' },
        focus: { type: 'string', multiple: true }, scheduling: { type: 'string' }, pattern: { type: 'string' },
        'max-concurrent': { type: 'string' }, retries: { type: 'string' }, 'max-cost': { type: 'string' },
        'max-tokens': { type: 'string' }, 'output-root': { type: 'string' }, set: { type: 'string', multiple: true },
        batch: { type: 'boolean' }, 'no-batch': { type: 'boolean' },
        'sim-latency': { type: 'string' }, help: { type: 'boolean', short: 'h' },
        file: { type: 'string', multiple: true }, stat: { type: 'boolean' }, accept: { type: 'string', multiple: true },
        branch: { type: 'string' }, push: { type: 'string' }, 'message-file': { type: 'string' },
        instruction: { type: 'string' }, group: { type: 'string' }, task: { type: 'string' }, 'task-file': { type: 'string' },
        scope: { type: 'string', multiple: true }, tier: { type: 'string' }, perspective: { type: 'string' },
        from: { type: 'string' }, findings: { type: 'string' }, workflow: { type: 'string' }, param: { type: 'string', multiple: true },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values: v, positionals } = parsed;
  const [cmd, ...rest] = positionals;
  const none = { positional: undefined, positionals: [], instruction: undefined, newWorker: undefined, taskFile: undefined };
  if (v.help || cmd === 'help' || cmd === undefined) return { ...base(v), command: 'help', ...none };
  const command = COMMANDS.find((c) => c === cmd);
  if (!command) throw new UsageError(`Unknown command "${cmd}"`);
  const arity: Record<(typeof COMMANDS)[number], [number, string]> = {
    run: [1, 'quote the task'], resume: [1, ''], status: [1, ''], list: [1, ''], demo: [0, 'choose the demo with --pattern'],
    diff: [1, ''], apply: [1, 'name files with --file'], discard: [1, ''], ship: [1, 'name the branch with --branch'],
    transcript: [2, ''], stop: [2, ''], rerun: [2, 'use --instruction "…" for an instruction'], ask: [3, 'quote the question'], mcp: [0, 'the task comes from the agent, through plan_task'], 'add-worker': [1, 'the worker comes in flags: --group, --task, --scope, --tier'], memory: [1, 'name lessons with --accept'], agents: [0, 'it lists every definition'],
    workflows: [1, 'list or validate; it reads every workflow'], approve: [2, ''],
  };
  const [most, hint] = arity[command];
  if (rest.length > most) throw new UsageError(`Unexpected argument "${rest[most]}"${hint ? ` (${hint})` : ''}`);
  const [arg] = rest;
  const taskFile = v['task-file'];
  if (taskFile !== undefined && command !== 'run') throw new UsageError('--task-file goes with run');
  if (taskFile !== undefined && arg !== undefined) throw new UsageError('run takes the task as an argument or from --task-file, not both');
  if (taskFile === '') throw new UsageError('--task-file needs a path (or - for standard input)');
  if (v.from !== undefined && command !== 'run') throw new UsageError('--from goes with run');
  if (v.findings !== undefined && v.from === undefined) throw new UsageError('--findings goes with --from RUNID (the audit run whose findings to fix)');
  if (v.from !== undefined && !RUN_ID_PATTERN.test(v.from)) throw new UsageError(`--from "${v.from}" is not a run id (expected YYYYMMDD-HHMMSS-xxxx; see: orchestrate list)`);
  if (v.from !== undefined && v.pattern !== undefined && v.pattern !== CHANGE_PATTERN) throw new UsageError(`--from plans a build that fixes the run's findings; --pattern ${v.pattern} cannot (use --pattern build or leave it out)`);
  if (v.workflow !== undefined && command !== 'run') throw new UsageError('--workflow goes with run');
  if (v.param !== undefined && v.workflow === undefined) throw new UsageError('--param goes with run --workflow NAME');
  if (v.workflow !== undefined) {
    const other = [arg !== undefined ? 'a task' : '', taskFile !== undefined ? '--task-file' : '', v.from !== undefined ? '--from' : '', v.pattern !== undefined ? '--pattern' : ''].filter(Boolean);
    if (other.length) throw new UsageError(`run --workflow plans the workflow's own stages; leave out ${other.join(', ')}`);
    if (!v.workflow.trim()) throw new UsageError('--workflow needs a workflow name (see: orchestrate workflows)');
  }
  if (command === 'approve' && rest.length < 2) throw new UsageError('approve needs a run id and a stage id: orchestrate approve <runId> <stageId>');
  if (command === 'run' && taskFile === undefined && !arg?.trim() && v.from === undefined && v.workflow === undefined) throw new UsageError('run needs a task: orchestrate run "Audit this repo for security issues" (or --task-file PATH)');
  if (['resume', 'diff', 'apply', 'discard', 'memory', 'ship'].includes(command) && !arg) throw new UsageError(`${command} needs a run id (see: orchestrate list)`);
  if (['transcript', 'stop', 'rerun', 'ask'].includes(command) && rest.length < 2) throw new UsageError(`${command} needs a run id and an agent id (see: orchestrate status <runId>)`);
  if (command === 'ask' && !rest[2]?.trim()) throw new UsageError('ask needs a question: orchestrate ask <runId> <agentId> "Why did you rate this file high?"');
  if (command === 'workflows' && arg !== undefined && arg !== 'list' && arg !== 'validate') throw new UsageError(`workflows takes list or validate; found "${arg}"`);
  if (command === 'add-worker' && !arg) throw new UsageError('add-worker needs a run id (see: orchestrate list)');
  if (v.accept !== undefined && command !== 'memory') throw new UsageError('--accept goes with memory');
  if (v.instruction !== undefined && command !== 'rerun') throw new UsageError('--instruction goes with rerun');
  if (v.greenfield && command !== 'demo') throw new UsageError('--greenfield goes with demo');
  if (v.greenfield && v.pattern !== undefined && v.pattern !== CHANGE_PATTERN) throw new UsageError('demo --greenfield is a build; leave out --pattern or use --pattern build');
  if (v['allow-agent-approval'] && command !== 'mcp') throw new UsageError('--allow-agent-approval goes with mcp');
  if (v['allow-foreign-run'] && !FOREIGN_RUN_COMMANDS.has(command)) throw new UsageError('--allow-foreign-run goes with resume, rerun, ask, add-worker or ship');
  for (const flag of ['branch', 'push', 'message-file'] as const) if (v[flag] !== undefined && command !== 'ship') throw new UsageError(`--${flag} goes with ship`);
  return {
    ...base(v), command, positional: arg, positionals: rest, taskFile,
    ...(v.from !== undefined ? { pattern: CHANGE_PATTERN } : {}),
    instruction: v.instruction,
    newWorker: command === 'add-worker' ? workerFlags(v) : undefined,
  };
}

function workerFlags(v: Record<string, string | boolean | string[] | undefined>): WorkerFlags {
  const missing = ['group', 'task', 'scope', 'tier'].filter((k) => v[k] === undefined);
  if (missing.length) throw new UsageError(`add-worker needs ${missing.map((k) => `--${k}`).join(', ')}`);
  const tier = TIERS.find((t) => t === v.tier);
  if (!tier) throw new UsageError(`--tier "${String(v.tier)}" is not a tier; expected one of ${TIERS.join(', ')}`);
  return {
    group: v.group as string, task: v.task as string, scope: v.scope as string[], tier,
    ...(typeof v.perspective === 'string' ? { perspective: v.perspective } : {}),
  };
}

function base(v: Record<string, string | boolean | string[] | undefined>): Omit<CliArgs, 'command' | 'positional' | 'positionals' | 'instruction' | 'newWorker' | 'taskFile'> {
  const overrides: Record<string, unknown> = {};
  const set = (k: string, val: unknown): void => { if (val !== undefined) overrides[k] = val; };
  set('scheduling', v.scheduling);
  set('maxConcurrent', num('--max-concurrent', v['max-concurrent'] as string | undefined));
  set('retries', num('--retries', v.retries as string | undefined));
  set('maxCostUsd', num('--max-cost', v['max-cost'] as string | undefined));
  set('maxTokens', num('--max-tokens', v['max-tokens'] as string | undefined));
  set('outputRoot', v['output-root']);
  if (v.batch && v['no-batch']) throw new UsageError('--batch and --no-batch contradict each other; give one');
  set('batch', v.batch ? 'auto' : v['no-batch'] ? 'off' : undefined);
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
    yes: !!v.yes, allowWorkspaceCommand: !!v['allow-workspace-command'], simulate: !!v.simulate, json: !!v.json, retryFailed: !!v['retry-failed'], allowForeignRun: !!v['allow-foreign-run'], allowAgentApproval: !!v['allow-agent-approval'],
    files: (v.file as string[] | undefined) ?? [], stat: !!v.stat, accept: (v.accept as string[] | undefined) ?? [],
    branch: v.branch as string | undefined, push: v.push as string | undefined, messageFile: v['message-file'] as string | undefined,
    focus: (v.focus as string[] | undefined) ?? [],
    pattern: patternOf(v.pattern as string | undefined),
    from: v.from as string | undefined, findings: v.findings as string | undefined,
    workflow: v.workflow as string | undefined, params: paramsOf((v.param as string[] | undefined) ?? []),
    simLatencyMs: num('--sim-latency', v['sim-latency'] as string | undefined),
    greenfield: !!v.greenfield,
    overrides,
  };
}

/** `--param name=value` pairs; a name given twice is an error rather than a guess which one counts. */
function paramsOf(pairs: readonly string[]): Record<string, string> {
  const params: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--param expects name=value, got "${pair}"`);
    const name = pair.slice(0, eq).trim();
    if (Object.hasOwn(params, name)) throw new UsageError(`--param ${name} is given twice; give it once`);
    params[name] = pair.slice(eq + 1);
  }
  return params;
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
