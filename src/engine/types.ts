/**
 * The engine's shared vocabulary. Everything here is part of the public file contract
 * (ledger.json, events.jsonl) or of the API the CLI and the VS Code glue build on.
 */

export const TIERS = ['haiku', 'sonnet', 'opus'] as const;
export type Tier = (typeof TIERS)[number];

/**
 * A role, as the pattern that declares it names it (its `roles` keys; names are part of the file
 * contract: ledger.json, CLI, views). The registry is the list: nothing outside a pattern's folder
 * names one, so a new pattern's roles need no line here. `planner` is the engine's own
 * (PLANNER_ROLE): every run has one planner record, so its cost is an agent's too.
 */
export type AgentRole = string;

/** The engine's own role: every run has one planner record, whatever its pattern. */
export const PLANNER_ROLE: AgentRole = 'planner';

/**
 * An orchestration pattern's name (DESIGN §4a): `plan.json`'s `pattern` field and `--pattern`.
 * The registry (patterns/registry.ts) is the list of them; a plan naming another is refused there.
 */
export type PatternName = string;

/** The pattern of a plan or ledger written before patterns existed (it has no `pattern` field). */
export const DEFAULT_PATTERN: PatternName = 'fan-out';

/** A group of agents as a pattern shows it: a domain, a stage, the panel, a partition, a round. */
export interface AgentGroup {
  id: string;
  label: string;
}

export const AGENT_STATUSES = [
  'pending', 'queued', 'running', 'verifying', 'retrying',
  'completed', 'failed', 'cancelled', 'skipped',
] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];

/** Statuses after which an agent never changes again within one execution. */
export const SETTLED_STATUSES: ReadonlySet<AgentStatus> = new Set(['completed', 'failed', 'cancelled', 'skipped']);

/** `declined`: the user turned the plan down at approval; nothing ran and nothing will. */
export const RUN_STATUSES = [
  'planning', 'awaiting-approval', 'running', 'completed', 'partial', 'failed', 'cancelled', 'interrupted', 'declined',
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const FINISHED_RUN_STATUSES: ReadonlySet<RunStatus> = new Set(['completed', 'partial', 'failed', 'cancelled', 'declined']);

export interface Usage {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

export const ZERO_USAGE: Readonly<Usage> = Object.freeze({ input: 0, output: 0, cacheRead: 0, cacheWrite: 0 });

export function addUsage(a: Usage, b: Usage): Usage {
  return { input: a.input + b.input, output: a.output + b.output, cacheRead: a.cacheRead + b.cacheRead, cacheWrite: a.cacheWrite + b.cacheWrite };
}

export interface AgentRecord {
  id: string;                 // a1, a2 … for workers; coord-a for coordinators; final; planner
  role: AgentRole;
  domain: string | null;      // the id of the agent's group (fan-out: its domain); null for run-level agents
  tier: Tier;
  task: string;
  scope: string[];
  dependsOn: string[];
  modelRequested: string;
  modelReported: string | null;
  status: AgentStatus;
  attempts: number;
  queuedAt: string | null;
  startedAt: string | null;
  endedAt: string | null;
  usage: Usage;
  costUsd: number;
  requests: number;
  toolCalls: number;
  outputFile: string;         // relative to the run directory, e.g. workers/a1.md
  returned: string | null;    // the trimmed return (sentence or ≤300 words)
  returnTokens: number;       // what the return costs whoever reads it
  error: string | null;
  /**
   * Secrets withheld on this agent's behalf (absent: none): in file contents and output it was sent,
   * in what it answered or wrote, in its check's output and its errors. See src/engine/redact.
   */
  redactions?: number;
  /** Build runs: what a builder changed in its worktree, against the run's base commit. */
  changes?: AgentChanges;
  /** Planned to go through the Message Batches API (batch mode; absent: the realtime path). */
  batch?: boolean;
  /** The user's agent definition (`.claude/agents/<name>.md`) the plan assigned it, by name. */
  agentDefinition?: string;
  /** What its definition asked for that it does not get (`Bash not given: …`), for the plan and tooltips. */
  agentNotes?: string[];
}

/** How a batched request ended, as the results file (or its absence) said. */
export type BatchOutcome = 'succeeded' | 'errored' | 'canceled' | 'expired' | 'missing';

/**
 * A Message Batch this run submitted (ledger.json `batches`, events.jsonl `batch` changes),
 * recorded the moment the API returned its id, so a resume collects it instead of submitting again.
 */
export interface BatchRecord {
  id: string;
  submittedAt: string;
  /** `<agentId>__<n>`: which agent each request answers. */
  requests: Array<{ customId: string; agentId: string }>;
  /** `collected`: its results were read and every request's outcome is in `outcomes`. */
  status: 'in_progress' | 'canceling' | 'ended' | 'collected';
  counts: { processing: number; succeeded: number; errored: number; canceled: number; expired: number };
  outcomes?: Record<string, BatchOutcome>;
  /** The faults met on the way, named: a results file cut mid-line, an unknown custom id, a cancel from outside. */
  notes: string[];
}

/** A builder's change in numbers: the files it touched and the lines added and removed. */
export interface AgentChanges {
  files: string[];
  added: number;
  removed: number;
}

export interface Gap {
  agentId: string;
  outputFile: string;
  reason: string;
}

export interface CostEstimate {
  tokensLow: number;
  tokensHigh: number;
  costLowUsd: number;
  costHighUsd: number;
}

export interface RunTotals {
  agentsByStatus: Record<AgentStatus, number>;
  usage: Usage;
  costUsd: number;
  costByModel: Record<string, number>;
  requests: number;
  toolCalls: number;
  /** Tokens the final synthesis (the parent) was sent. */
  parentContextTokens: number;
  /** Tokens the parent would have read in a flat fan-out: every worker file. */
  flatBaselineTokens: number;
  wallMs: number;
}

export interface LedgerSnapshot {
  version: 1;
  /**
   * In ledger.json: the last event of events.jsonl the file reflects. The snapshot is written after
   * the events it reflects, so a crash between the two leaves it behind; a load replays the events
   * then (absent in snapshots written before this field, which are taken as they are).
   */
  seq?: number;
  runId: string;
  task: string;
  workspace: string;
  simulated: boolean;
  status: RunStatus;
  reason: string | null;       // why the run is partial / failed / cancelled
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  endedAt: string | null;
  pid: number | null;          // process that owns a running run; used to detect an interrupted one
  /** Who started the run when not a person at a front end: `mcp:<client name>` for an agent over MCP (absent: a person). */
  startedBy?: string;
  estimate: CostEstimate | null;
  /** The plan's pattern, once planned (absent in ledgers written before patterns existed: fan-out). */
  pattern?: PatternName;
  /** Why the planner chose this pattern, in one sentence (shown with the plan). */
  patternReason?: string;
  /** The pattern's groups in display order; agents point at one through `domain`. */
  groups?: AgentGroup[];
  gaps: Gap[];
  agents: AgentRecord[];
  totals: RunTotals;
  /** The user's commands on this run's agents, oldest first (absent before any). */
  commands?: CommandRecord[];
  /** How many times the plan was revised before approval (absent: never). */
  planRevision?: number;
  /** Message Batches this run submitted, oldest first (absent: none). */
  batches?: BatchRecord[];
  /**
   * The repository's own check command the plan will run (build), shown for approval. Display
   * only: what runs is decided anew from the settings and the user's consent, never from here.
   */
  workspaceCommand?: { command: string; source: string };
  /** Settings the workspace set that were not obeyed when the run was planned, and why. */
  ignoredSettings?: Array<{ key: string; source: string; reason: string; kind: 'machine-only' | 'bound' }>;
}

/** Commands a user gives one agent of a run, or the run's plan (events.jsonl `command` events). */
export const AGENT_COMMANDS = ['stop', 'rerun', 'ask', 'add-worker', 'revise-plan'] as const;
export type AgentCommand = (typeof AGENT_COMMANDS)[number];

/** One command as the ledger keeps it: what, on which agent (null for the plan), and what came of it. */
export interface CommandRecord {
  t: string;
  command: AgentCommand;
  agentId: string | null;
  detail: string;
}

/** One line of events.jsonl. `seq` is monotonic per run. */
export type EngineEvent =
  | { seq: number; t: string; type: 'run'; status: RunStatus; reason?: string | null }
  | { seq: number; t: string; type: 'agent'; id: string; status: AgentStatus; attempt?: number; error?: string | null }
  | { seq: number; t: string; type: 'usage'; id: string; model: string; usage: Usage; costUsd: number }
  | { seq: number; t: string; type: 'tool'; id: string; name: string; ok: boolean; detail?: string }
  | { seq: number; t: string; type: 'return'; id: string; text: string; tokens: number }
  | { seq: number; t: string; type: 'changes'; id: string; files: string[]; added: number; removed: number }
  /** `count` secrets were just withheld on agent `id`'s behalf; `total` is its record's `redactions` now. */
  | { seq: number; t: string; type: 'redactions'; id: string; count: number; total: number }
  | { seq: number; t: string; type: 'log'; level: 'info' | 'warn' | 'error'; message: string }
  | { seq: number; t: string; type: 'command'; command: AgentCommand; agentId: string | null; detail: string }
  | { seq: number; t: string; type: 'ledger'; change: LedgerChange };

/**
 * What ledger.json holds beyond the other events, recorded so the snapshot can be rebuilt from
 * events.jsonl alone when it is damaged: the run's header, agent records as planned or added,
 * groups, dependencies, gaps and the totals only the engine computes. Records are as they were
 * at that moment; later `agent`, `usage`, `tool`, `return` and `changes` events move them on.
 */
export type LedgerChange =
  | { kind: 'created'; runId: string; task: string; workspace: string; simulated: boolean; createdAt: string; agents: AgentRecord[]; startedBy?: string }
  | {
    kind: 'planned'; agents: AgentRecord[]; estimate: CostEstimate; pattern: PatternName; patternReason: string; groups: AgentGroup[];
    /** Set when a revised plan replaced every planned record (the planner's stays). */
    planRevision?: number;
  }
  | { kind: 'added'; agents: AgentRecord[]; groups: AgentGroup[] }
  | { kind: 'groups'; groups: AgentGroup[] }
  | { kind: 'dependsOn'; id: string; dependsOn: string[] }
  | { kind: 'gaps'; gaps: Gap[] }
  | { kind: 'totals'; patch: Partial<Pick<RunTotals, 'parentContextTokens' | 'flatBaselineTokens' | 'wallMs'>> }
  /** A batch submitted, or its state moved on: the whole record as it is now. */
  | { kind: 'batch'; batch: BatchRecord };

export type EngineEventInput = EngineEvent extends infer E ? (E extends { seq: number; t: string } ? Omit<E, 'seq' | 't'> : never) : never;

/** A minimal disposable so engine listeners can be handed to VS Code's subscriptions. */
export interface Disposable { dispose(): void }

export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const SENTINEL = '<!-- DONE -->';
