/**
 * Opens what one run needs: validated settings, an API key (or the simulated provider), a model
 * provider and an Orchestrator. Every user-facing refusal is explained here, once.
 */
import * as vscode from 'vscode';
import { describeIgnored, loadProjectConfig, Orchestrator, type Config, type Logger } from '../../engine';
import { MissingApiKeyError, openProvider, type Provider } from '../../providers';
import type { RunLocation } from '../location';
import type { ApiKeyStore } from '../secrets';
import { machineKeysInWorkspaceFile, readSettings, SettingsError, type ExtensionSettings } from '../settings';

export interface Session {
  readonly workspace: string;
  readonly settings: ExtensionSettings;
  readonly orchestrator: Orchestrator;
  readonly provider: Provider;
}

export interface SessionDeps {
  location: RunLocation;
  keys: ApiKeyStore;
  logger: Logger;
  promptsDir: string;
  readSettings?: () => ExtensionSettings;
}

/** Shows a settings error with a button that opens the first bad setting. */
export function showSettingsError(err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  const key = err instanceof SettingsError ? err.keys[0] : 'orchestration';
  void vscode.window.showErrorMessage(message, 'Open Settings').then((choice) => {
    if (choice) void vscode.commands.executeCommand('workbench.action.openSettings', key);
  });
}

/** Returns undefined when the user declined or something was reported to them. */
export async function openSession(deps: SessionDeps): Promise<Session | undefined> {
  const workspace = deps.location.workspace();
  if (!workspace) {
    void vscode.window.showErrorMessage('Open a folder first: Orchestration plans and runs agents over a workspace folder.');
    return undefined;
  }
  let settings: ExtensionSettings;
  try {
    settings = deps.readSettings ? deps.readSettings() : readSettings(undefined, await loadProjectConfig(workspace), undefined, await machineKeysInWorkspaceFile(workspace));
  } catch (err) {
    showSettingsError(err);
    return undefined;
  }
  const config = await chooseProvider(settings.config, deps.keys);
  if (!config) return undefined;
  let provider: Provider;
  const apiKey = config.provider === 'anthropic' ? (await deps.keys.get())?.key : undefined;
  try {
    provider = await openProvider(config, { apiKey, workspace, simulatedLatencyMs: settings.simulatedLatencyMs });
  } catch (err) {
    const text = err instanceof MissingApiKeyError ? err.message : `Could not start the model provider: ${(err as Error).message}`;
    void vscode.window.showErrorMessage(text);
    return undefined;
  }
  // What the repository set and was not obeyed: in the log each time, and with each plan (Summary, plan.md).
  for (const line of describeIgnored(settings.ignored)) deps.logger.warn(line);
  // What this run will use, minus anything secret: the first thing to check when a run surprises.
  const latency = provider.simulated && settings.simulatedLatencyMs ? ` (latency ${settings.simulatedLatencyMs} ms)` : '';
  deps.logger.info(`provider ${provider.simulated ? 'simulated' : `anthropic at ${config.baseUrl ?? 'the default endpoint'}`}${latency}; `
    + `models ${config.models.haiku} / ${config.models.sonnet} / ${config.models.opus}; ${config.maxConcurrent} at once, ${config.scheduling}`);
  try {
    const orchestrator = new Orchestrator({
      workspace, config, model: provider.model, promptsDir: deps.promptsDir, logger: deps.logger, simulated: provider.simulated,
      // Transcripts record what agents saw and said: the key must never be among it.
      secrets: apiKey ? [apiKey] : [],
      workspaceCommand: settings.workspaceCommand, ignoredSettings: settings.ignored,
    });
    return { workspace, settings: { ...settings, config }, orchestrator, provider };
  } catch (err) {
    // A broken install (prompts missing) must not leave the simulator's port open.
    await provider.dispose().catch(() => undefined);
    void vscode.window.showErrorMessage(`Orchestration cannot start: ${(err as Error).message}`);
    return undefined;
  }
}

/**
 * With the Anthropic provider and no key anywhere, asks: store a key, or run this task on the
 * simulated provider (this time only; the setting is left alone).
 */
async function chooseProvider(config: Config, keys: ApiKeyStore): Promise<Config | undefined> {
  if (config.provider !== 'anthropic' || (await keys.get())) return config;
  const choice = await vscode.window.showWarningMessage(
    'No Anthropic API key is set (SecretStorage or ANTHROPIC_API_KEY). Set one, or run this task on the offline simulated provider.',
    'Set API Key', 'Use Simulated Provider',
  );
  if (choice === 'Use Simulated Provider') return { ...config, provider: 'simulated' };
  if (choice === 'Set API Key' && (await keys.prompt())) return config;
  return undefined;
}
