/**
 * The trust policy for configuration (DESIGN §4c). A repository is untrusted input, so what it ships
 * (`.orchestration/config.json`, `.vscode/settings.json`) may set only workspace-safe keys: task
 * defaults, tiers, prompts, and bounds lowered below their defaults. Keys that choose where the key
 * goes, what things cost, what runs on the machine, what agents may read or whether a plan runs
 * unseen are machine-only: they come from user settings, CLI flags and the environment. Every way
 * into a Config goes through `resolveConfig`, so no front end can skip the policy.
 */
import { mergeConfig, parseConfig, type Config } from '../config';

/** One source of settings, in increasing precedence. `trusted`: the user's own (user settings, flags). */
export interface ConfigLayer {
  /** Where it came from, as the user knows it: `.orchestration/config.json`, `.vscode/settings.json`, `flags`. */
  source: string;
  trusted: boolean;
  values: Record<string, unknown>;
}

/** A key a workspace set that was not obeyed: which, from where, why, and where to set it instead. */
export interface IgnoredSetting {
  key: string;
  source: string;
  /** machine-only: never the repository's to set; bound: raised above its default. */
  kind: 'machine-only' | 'bound';
  reason: string;
}

/** A check command the repository asks for: shown in the plan, run only with the user's consent. */
export interface WorkspaceCommand {
  command: string;
  source: string;
}

export interface ResolvedConfig {
  config: Config;
  ignored: IgnoredSetting[];
  /** The repository's `verifyCommand`, when the user set none of their own. */
  workspaceCommand: WorkspaceCommand | null;
  /** Run plans without waiting for approval: only ever from a trusted layer. */
  autoApprovePlan: boolean;
}

/**
 * Keys only the user may set. `verifyCommand` is not here: a repository may ask for its own check,
 * which then runs only with consent (see WorkspaceCommand). `autoApprovePlan` is the extension's.
 */
export const MACHINE_ONLY_KEYS = [
  'provider', 'baseUrl', 'prices', 'worktreesDir', 'worktreeLinks', 'includeIgnored', 'autoApprovePlan',
  // Whether a run may wait up to 24 h for its answers, and how often it polls the API, are the user's call.
  'batch', 'batchPollMs', 'batchPollMaxMs', 'batchGatherMs',
] as const;

/**
 * Bounds a workspace may lower but never raise above the default: each one caps work, spend, time
 * or what an agent may do. Dotted paths reach into tier maps and ranges.
 */
export const BOUND_KEYS = [
  'maxConcurrent', 'tierCaps.haiku', 'tierCaps.sonnet', 'tierCaps.opus', 'retries', 'transientRetries', 'maxRetryAfterMs',
  'agentTimeoutMs', 'requestTimeoutMs', 'streamIdleTimeoutMs', 'maxTurns', 'maxTokensPerResponse', 'maxFailedWorkers',
  'planRetries', 'domains.min', 'domains.max', 'workersPerDomain.min', 'workersPerDomain.max', 'transcriptMaxBytes', 'verifyTimeoutMs', 'memoryTokens', 'fixRounds',
] as const;

/**
 * Quality gates a workspace may turn on but never off: a repository that ships `harden: false`
 * would let its own change skip the audit that blocks Ship.
 */
export const GATE_KEYS = ['harden'] as const;

/**
 * Lists that only hide files from agents (`exclude`, `secretFiles`): joined across every layer, so
 * a repository's `[]` cannot drop what the user added, and the user's list does not drop the
 * repository's. The built-in secret rules are never in these lists, so nothing removes them.
 */
export const ADDITIVE_KEYS = ['exclude', 'secretFiles'] as const;

/** Where a machine-only key can be set instead, said the same way by every front end. */
export const SET_INSTEAD = 'in your user settings (VS Code: Settings → User, or Remote in a remote window) or with a CLI flag (--set KEY=VALUE)';

/**
 * Merges layers into a Config, dropping what a workspace may not set. Validation errors name the
 * layer whose value was wrong. A trusted layer may set anything the schema allows.
 */
export function resolveConfig(layers: readonly ConfigLayer[]): ResolvedConfig {
  const defaults = parseConfig({});
  const ignored: IgnoredSetting[] = [];
  let workspaceCommand: WorkspaceCommand | null = null;
  let trustedCommand = false;
  let autoApprovePlan = false;
  const kept: Array<Record<string, unknown>> = [];
  for (const layer of layers) {
    const values: Record<string, unknown> = structuredClone(layer.values);
    const autoApprove = values.autoApprovePlan;
    delete values.autoApprovePlan; // the extension's, not the engine's: not in the schema
    // Schema first, each layer alone over the defaults, so a wrong value is named as wrong and where
    // (the file or flag) rather than quietly ignored.
    parseConfig(mergeConfig(defaults, values), layer.source);
    if (layer.trusted) {
      if (values.verifyCommand !== undefined) trustedCommand = true;
      if (autoApprove !== undefined) autoApprovePlan = autoApprove === true;
      kept.push(values);
      continue;
    }
    if (autoApprove !== undefined) values.autoApprovePlan = autoApprove;
    for (const key of MACHINE_ONLY_KEYS) {
      if (values[key] === undefined) continue;
      delete values[key];
      ignored.push(machineOnly(key, layer.source));
    }
    for (const key of BOUND_KEYS) {
      const value = getPath(values, key);
      const limit = getPath(defaults, key);
      if (typeof value === 'number' && typeof limit === 'number' && value > limit) {
        deletePath(values, key);
        ignored.push({ key, source: layer.source, kind: 'bound', reason: `${key} ${value} is above its default ${limit}: a repository may only lower it; to raise it, set it ${SET_INSTEAD}` });
      }
    }
    for (const key of GATE_KEYS) {
      if (values[key] !== false) continue;
      delete values[key];
      ignored.push({ key, source: layer.source, kind: 'bound', reason: `${key} is a quality gate: a repository may turn it on but not off; to turn it off, set it ${SET_INSTEAD}` });
    }
    if (typeof values.verifyCommand === 'string' && values.verifyCommand.trim()) {
      workspaceCommand = { command: values.verifyCommand.trim(), source: layer.source };
    }
    delete values.verifyCommand;
    kept.push(values);
  }
  const merged = mergeConfig(defaults, ...kept);
  // Keys that only ever hide more are joined across layers, so no layer removes what another added.
  for (const key of ADDITIVE_KEYS) merged[key] = [...new Set(kept.flatMap((values) => (Array.isArray(values[key]) ? values[key] as unknown[] : [])))];
  const config = parseConfig(merged, 'settings');
  // The user's own check (even an empty one, which turns checks off) wins over the repository's.
  if (trustedCommand || config.verifyCommand) workspaceCommand = null;
  return { config, ignored, workspaceCommand, autoApprovePlan };
}

/** A machine-only key a repository set, as `ignored` records it. */
export function machineOnly(key: string, source: string): IgnoredSetting {
  return { key, source, kind: 'machine-only', reason: `${key} is machine-only: a repository may not choose it; set it ${SET_INSTEAD}` };
}

function getPath(obj: Record<string, unknown>, dotted: string): unknown {
  let cur: unknown = obj;
  for (const k of dotted.split('.')) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

function deletePath(obj: Record<string, unknown>, dotted: string): void {
  const keys = dotted.split('.');
  let cur: unknown = obj;
  for (const k of keys.slice(0, -1)) {
    if (typeof cur !== 'object' || cur === null) return;
    cur = (cur as Record<string, unknown>)[k];
  }
  if (typeof cur === 'object' && cur !== null) delete (cur as Record<string, unknown>)[keys[keys.length - 1]];
}
