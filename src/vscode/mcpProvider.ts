/**
 * Publishes `orchestrate mcp` to VS Code's agent mode (the MCP server definition provider API), so
 * agent mode finds the orchestrator with no configuration. The server is the extension's bundled
 * CLI run by the editor's own Node.js, on the first workspace folder, with the user's own settings
 * as flags (the folder's config.json it reads itself, as untrusted input). The API key goes from
 * SecretStorage into the server's environment when VS Code starts it, never to disk; without a
 * key the server starts and answers plan_task with how to set one.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Disposable } from './dispose';
import type { RunLocation } from './location';
import type { ApiKeyStore } from './secrets';
import { configInput, SECTION } from './settings';

/** The provider's id, as package.json's `contributes.mcpServerDefinitionProviders` declares it. */
export const MCP_PROVIDER_ID = 'orchestration.mcp';
export const MCP_SERVER_LABEL = 'Scaled Agent Orchestration';

export interface McpProviderDeps {
  extensionPath: string;
  location: RunLocation;
  keys: ApiKeyStore;
  /** The Node.js that runs the CLI: the editor's own (Electron run as Node). */
  execPath?: string;
}

export class McpProvider extends Disposable implements vscode.McpServerDefinitionProvider<vscode.McpStdioServerDefinition> {
  private readonly changed = this._register(new vscode.EventEmitter<void>());
  readonly onDidChangeMcpServerDefinitions = this.changed.event;

  constructor(private readonly deps: McpProviderDeps) {
    super();
    this._register(vscode.lm.registerMcpServerDefinitionProvider(MCP_PROVIDER_ID, this));
    // A new key, folder or setting changes the server VS Code should start.
    this._register(deps.keys.onDidChange(() => this.changed.fire()));
    this._register(vscode.workspace.onDidChangeWorkspaceFolders(() => this.changed.fire()));
    this._register(vscode.workspace.onDidChangeConfiguration((e) => { if (e.affectsConfiguration(SECTION)) this.changed.fire(); }));
  }

  /** Called eagerly by VS Code, so it asks nothing of the user and holds no key. */
  provideMcpServerDefinitions(): vscode.McpStdioServerDefinition[] {
    const workspace = this.deps.location.workspace();
    if (!workspace) return [];
    const cfg = vscode.workspace.getConfiguration(SECTION);
    const args = [path.join(this.deps.extensionPath, 'dist', 'cli.js'), 'mcp', '--workspace', workspace, ...settingFlags(cfg)];
    if (userValue(cfg, 'mcp.allowAgentApproval') === true) args.push('--allow-agent-approval');
    const latency = cfg.get<number>('simulatedLatencyMs');
    if (typeof latency === 'number' && latency > 0) args.push('--sim-latency', String(latency));
    // VS Code's execPath is Electron; this variable makes it run the script as Node.js (plain Node ignores it).
    return [new vscode.McpStdioServerDefinition(MCP_SERVER_LABEL, this.deps.execPath ?? process.execPath, args, { ELECTRON_RUN_AS_NODE: '1' })];
  }

  /** Called when VS Code starts the server: the key joins its environment, in memory only. */
  async resolveMcpServerDefinition(server: vscode.McpStdioServerDefinition): Promise<vscode.McpStdioServerDefinition> {
    const key = await this.deps.keys.get();
    server.env = { ...server.env, ANTHROPIC_API_KEY: key ? key.key : null };
    return server;
  }
}

/** The user's own settings (never the folder's) as `--set key=<json>` flags: caps, provider, endpoint and prices hold as in the editor. */
function settingFlags(cfg: vscode.WorkspaceConfiguration): string[] {
  const input = configInput(cfg, 'user');
  delete input.autoApprovePlan;
  return Object.entries(input).flatMap(([key, value]) => ['--set', `${key}=${JSON.stringify(value)}`]);
}

function userValue(cfg: vscode.WorkspaceConfiguration, key: string): unknown {
  return cfg.inspect ? cfg.inspect<unknown>(key)?.globalValue : cfg.get<unknown>(key);
}
