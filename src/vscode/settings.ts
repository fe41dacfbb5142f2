/**
 * Reads the `orchestration.*` settings and validates them with the engine's own schema, so the
 * extension, the CLI and config.json agree on bounds and defaults. Errors name the setting key.
 */
import * as vscode from 'vscode';
import { ConfigError, mergeConfig, parseConfig, type Config } from '../engine';

export const SECTION = 'orchestration';

/** Settings the engine's Config knows, read one by one so a stray key in settings.json is ignored. */
const ENGINE_KEYS = [
  'provider', 'baseUrl', 'maxConcurrent', 'scheduling', 'retries', 'agentTimeoutMs', 'streamIdleTimeoutMs', 'maxTurns',
  'outputRoot', 'prices', 'maxCostUsd', 'maxTokens', 'includeIgnored', 'exclude', 'trackRunsInGit', 'transcriptMaxBytes',
  'verifyCommand', 'verifyTimeoutMs', 'worktreesDir', 'worktreeLinks',
] as const;
const TIER_MAPS = ['models', 'tierCaps'] as const;
const TIER_NAMES = ['haiku', 'sonnet', 'opus'] as const;

export interface ExtensionSettings {
  config: Config;
  /** Run the plan without waiting for Approve. Extension-only: the CLI has its own flag. */
  autoApprovePlan: boolean;
  /** Artificial latency per simulated model response, so a simulated run can be watched (and cancelled). */
  simulatedLatencyMs: number;
}

export class SettingsError extends ConfigError {
  constructor(readonly keys: string[], issues: string[]) {
    super(`Invalid settings:\n  ${issues.join('\n  ')}`, issues);
    this.name = 'SettingsError';
  }
}

type Section = Pick<vscode.WorkspaceConfiguration, 'get'> & Partial<Pick<vscode.WorkspaceConfiguration, 'inspect'>>;

/**
 * A setting's value only where the user set it (folder, workspace or user scope), so an unset
 * setting does not hide the same key in .orchestration/config.json behind its default.
 */
function explicit(cfg: Section, key: string): unknown {
  if (!cfg.inspect) return cfg.get<unknown>(key);
  const i = cfg.inspect<unknown>(key);
  return i?.workspaceFolderValue ?? i?.workspaceValue ?? i?.globalValue;
}

/** The settings as a Config input. Empty strings and nulls mean "use the default" where that makes sense. */
export function configInput(cfg: Section): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const key of ENGINE_KEYS) {
    const v = explicit(cfg, key);
    if (v !== undefined) input[key] = v;
  }
  // The Settings UI's empty text box means "not set", so a baseUrl in config.json still applies.
  if (typeof input.baseUrl === 'string' && !input.baseUrl.trim()) delete input.baseUrl;
  for (const map of TIER_MAPS) {
    const tiers: Record<string, unknown> = {};
    for (const tier of TIER_NAMES) {
      const v = explicit(cfg, `${map}.${tier}`);
      if (v !== undefined) tiers[tier] = v;
    }
    if (Object.keys(tiers).length) input[map] = tiers;
  }
  return input;
}

type Getter = (section: string) => Pick<vscode.WorkspaceConfiguration, 'get'>;

/**
 * The globs VS Code's own `files.exclude` and `search.exclude` hide (value `true`), which the agents
 * should not see either. A `{ when: … }` condition (hide `x.js` when `x.ts` exists) is left out:
 * the engine cannot evaluate it, and showing a file is the safe side.
 */
export function editorExcludes(get: Getter = (s) => vscode.workspace.getConfiguration(s)): string[] {
  const globs = new Set<string>();
  for (const [section, key] of [['files', 'exclude'], ['search', 'exclude']] as const) {
    const value = get(section).get<unknown>(key);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) continue;
    for (const [glob, on] of Object.entries(value as Record<string, unknown>)) if (on === true && glob.trim()) globs.add(glob);
  }
  return [...globs];
}

/**
 * Validates the settings over the project file (`.orchestration/config.json`, as the CLI reads
 * it): defaults, then the file, then what the user set in VS Code. A bad file throws a
 * ConfigError naming the file; a bad setting throws SettingsError listing each one as
 * `orchestration.<key>: <what was wrong>`. `editor` globs (files.exclude, search.exclude) are added
 * to `exclude` unless `includeIgnored` is on.
 */
export function readSettings(
  cfg: Section = vscode.workspace.getConfiguration(SECTION), project: Record<string, unknown> = {}, editor: string[] = editorExcludes(),
): ExtensionSettings {
  // Merged over the defaults so one tier can be set alone (the schema wants all three).
  const base = mergeConfig(parseConfig({}), project);
  parseConfig(base, '.orchestration/config.json');
  let config: Config;
  try {
    const merged = mergeConfig(base, configInput(cfg));
    if (merged.includeIgnored !== true && editor.length && Array.isArray(merged.exclude)) {
      merged.exclude = [...new Set([...(merged.exclude as unknown[]), ...editor])];
    }
    config = parseConfig(merged, 'settings');
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const issues = err.issues.length ? err.issues : [err.message];
    const named = issues.map((i) => `${SECTION}.${i}`);
    throw new SettingsError(named.map((i) => i.split(':')[0]), named);
  }
  const latency = cfg.get<number>('simulatedLatencyMs') ?? 0;
  if (!Number.isInteger(latency) || latency < 0 || latency > 60_000) {
    const issue = `${SECTION}.simulatedLatencyMs: expected an integer from 0 to 60000, got ${JSON.stringify(latency)}`;
    throw new SettingsError([`${SECTION}.simulatedLatencyMs`], [issue]);
  }
  return { config, autoApprovePlan: cfg.get<boolean>('autoApprovePlan') === true, simulatedLatencyMs: latency };
}

/** The output root without validating everything else (the tree must show runs even with a bad setting). */
export function outputRootSetting(cfg: Section = vscode.workspace.getConfiguration(SECTION)): string {
  const v = cfg.get<unknown>('outputRoot');
  return typeof v === 'string' && v.trim() && !v.includes('..') ? v.trim() : '.orchestration';
}

/** The model id of each tier as the settings say (for a tier the plan editor offers before any agent uses it). */
export function readModels(cfg: Section = vscode.workspace.getConfiguration(SECTION)): Record<'haiku' | 'sonnet' | 'opus', string> {
  const defaults = parseConfig({}).models;
  const pick = (tier: 'haiku' | 'sonnet' | 'opus') => {
    const v = cfg.get<unknown>(`models.${tier}`);
    return typeof v === 'string' && v.trim() ? v.trim() : defaults[tier];
  };
  return { haiku: pick('haiku'), sonnet: pick('sonnet'), opus: pick('opus') };
}

/** Whether plans run without waiting for approval (setting autoApprovePlan). */
export function readAutoApprove(cfg: Section = vscode.workspace.getConfiguration(SECTION)): boolean {
  return cfg.get<boolean>('autoApprovePlan') === true;
}

/**
 * The builders' worktree folder, or the default (null) when the settings do not validate: apply,
 * discard and Delete Run must still find a build run's worktrees.
 */
export function worktreesDirSetting(): string | null {
  try { return readSettings().config.worktreesDir; } catch { return null; }
}
