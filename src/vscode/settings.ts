/**
 * Reads the `orchestration.*` settings and validates them with the engine's own schema, so the
 * extension, the CLI and config.json agree on bounds and defaults. Errors name the setting key.
 */
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
// The ES module build: bundled, the package's UMD main requires './impl/format' at run time and fails.
import { parse as parseJsonc } from 'jsonc-parser/lib/esm/main.js';
import * as vscode from 'vscode';
import { z } from 'zod';
import {
  ConfigError, MACHINE_ONLY_KEYS, machineOnly, parseConfig, resolveConfig, type Config, type ConfigLayer, type IgnoredSetting, type WorkspaceCommand,
} from '../engine';

export const SECTION = 'orchestration';

/** Settings the engine's Config knows, read one by one so a stray key in settings.json is ignored. */
const ENGINE_KEYS = [
  'provider', 'baseUrl', 'maxConcurrent', 'scheduling', 'retries', 'agentTimeoutMs', 'streamIdleTimeoutMs', 'maxTurns',
  'outputRoot', 'prices', 'maxCostUsd', 'maxTokens', 'includeIgnored', 'exclude', 'secretFiles', 'trackRunsInGit', 'transcriptMaxBytes',
  'verifyCommand', 'verifyTimeoutMs', 'worktreesDir', 'worktreeLinks', 'memoryTokens', 'fixRounds', 'harden', 'batch', 'batchRetry',
] as const;
const TIER_MAPS = ['models', 'tierCaps'] as const;
const TIER_NAMES = ['haiku', 'sonnet', 'opus'] as const;

export interface ExtensionSettings {
  config: Config;
  /** Run the plan without waiting for Approve. Extension-only and user-only: the CLI has its own flag. */
  autoApprovePlan: boolean;
  /** Artificial latency per simulated model response, so a simulated run can be watched (and cancelled). */
  simulatedLatencyMs: number;
  /** Keys the workspace set that were not obeyed (machine-only, or a bound raised), and where to set them instead. */
  ignored: IgnoredSetting[];
  /** The repository's own check command: shown with the plan, run only once the user approves it. */
  workspaceCommand: WorkspaceCommand | null;
}

export class SettingsError extends ConfigError {
  constructor(readonly keys: string[], issues: string[]) {
    super(`Invalid settings:\n  ${issues.join('\n  ')}`, issues);
    this.name = 'SettingsError';
  }
}

type Section = Pick<vscode.WorkspaceConfiguration, 'get'> & Partial<Pick<vscode.WorkspaceConfiguration, 'inspect'>>;

/** Where the workspace's own settings live, as the user reads it in a message. */
export const WORKSPACE_SETTINGS = '.vscode/settings.json (workspace settings)';

/**
 * A setting's value at one scope: `user` is what the user set in their own settings (trusted);
 * `workspace` is the folder's or workspace file's value, which the repository ships (untrusted).
 * A section without `inspect` (a test's plain getter) counts as the user's.
 */
function valueAt(cfg: Section, key: string, scope: 'user' | 'workspace'): unknown {
  if (!cfg.inspect) return scope === 'user' ? cfg.get<unknown>(key) : undefined;
  const i = cfg.inspect<unknown>(key);
  return scope === 'user' ? i?.globalValue : i?.workspaceFolderValue ?? i?.workspaceValue;
}

/** The settings of one scope as a Config input. Empty strings and nulls mean "use the default" where that makes sense. */
export function configInput(cfg: Section, scope: 'user' | 'workspace' = 'user'): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const key of [...ENGINE_KEYS, 'autoApprovePlan'] as const) {
    const v = valueAt(cfg, key, scope);
    if (v !== undefined) input[key] = v;
  }
  // The Settings UI's empty text box means "not set".
  if (typeof input.baseUrl === 'string' && !input.baseUrl.trim()) delete input.baseUrl;
  for (const map of TIER_MAPS) {
    const tiers: Record<string, unknown> = {};
    for (const tier of TIER_NAMES) {
      const v = valueAt(cfg, `${map}.${tier}`, scope);
      if (v !== undefined) tiers[tier] = v;
    }
    if (Object.keys(tiers).length) input[map] = tiers;
  }
  return input;
}

/**
 * The machine-only keys a folder's `.vscode/settings.json` sets. VS Code drops a `"scope":
 * "machine"` setting from workspace settings before any extension sees it (inspect() has no
 * workspaceValue), so the file itself is read: only to say in the plan what was not obeyed, never
 * to use a value. An unreadable or malformed file reports nothing (VS Code applies none of it).
 */
export async function machineKeysInWorkspaceFile(folder: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path.join(folder, '.vscode', 'settings.json'), 'utf8');
  } catch {
    return [];
  }
  const data = z.record(z.string(), z.unknown()).safeParse(parseJsonc(text, [], { allowTrailingComma: true }));
  if (!data.success) return [];
  return MACHINE_ONLY_KEYS.filter((k) => Object.hasOwn(data.data, `${SECTION}.${k}`));
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
 * it) under the engine's trust policy: defaults, then the file, then the workspace's own
 * settings, then what the user set. The file and the workspace settings are the repository's and
 * may set only workspace-safe keys; what they set beyond that is listed in `ignored`. A bad file
 * throws a ConfigError naming the file; a bad setting throws SettingsError listing each one as
 * `orchestration.<key>: <what was wrong>`. `editor` globs (files.exclude, search.exclude) are
 * added to `exclude` unless `includeIgnored` is on. `droppedByVsCode` (machineKeysInWorkspaceFile)
 * joins `ignored` as set in the workspace settings.
 */
export function readSettings(
  cfg: Section = vscode.workspace.getConfiguration(SECTION), project?: ConfigLayer, editor: string[] = editorExcludes(),
  droppedByVsCode: readonly string[] = [],
): ExtensionSettings {
  if (project) resolveConfig([project]); // a bad file is named as the file, before any setting is looked at
  let resolved;
  try {
    const user = configInput(cfg, 'user');
    resolved = resolveConfig([
      ...(project ? [project] : []),
      { source: WORKSPACE_SETTINGS, trusted: false, values: configInput(cfg, 'workspace') },
      { source: 'user settings', trusted: true, values: user },
      // Hiding more is always safe: the editor's globs join `exclude` (an additive key), unless the
      // user lets agents see ignored files (includeIgnored is machine-only, so only the user's counts).
      ...(user.includeIgnored !== true && editor.length ? [{ source: 'files.exclude and search.exclude', trusted: true, values: { exclude: editor } }] : []),
    ]);
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
  // Machine-only keys VS Code itself dropped from .vscode/settings.json (machineKeysInWorkspaceFile).
  const ignored = [...resolved.ignored];
  for (const key of droppedByVsCode) {
    if (ignored.some((i) => i.key === key && i.source === WORKSPACE_SETTINGS)) continue;
    ignored.push(machineOnly(key, WORKSPACE_SETTINGS));
  }
  return {
    config: resolved.config, autoApprovePlan: resolved.autoApprovePlan, simulatedLatencyMs: latency,
    ignored, workspaceCommand: resolved.workspaceCommand,
  };
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

/** Whether plans run without waiting for approval (setting autoApprovePlan): the user's own value only. */
export function readAutoApprove(cfg: Section = vscode.workspace.getConfiguration(SECTION)): boolean {
  return valueAt(cfg, 'autoApprovePlan', 'user') === true;
}

/** Whether runs started now go to the simulated provider (the user's own setting; a workspace's is ignored). */
export function simulatedProviderSetting(cfg: Section = vscode.workspace.getConfiguration(SECTION)): boolean {
  return valueAt(cfg, 'provider', 'user') === 'simulated';
}

/**
 * The builders' worktree folder, or the default (null) when the settings do not validate: apply,
 * discard and Delete Run must still find a build run's worktrees.
 */
export function worktreesDirSetting(): string | null {
  try { return readSettings().config.worktreesDir; } catch { return null; }
}
