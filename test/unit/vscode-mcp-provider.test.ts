import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
vi.mock('vscode', async () => await import('./vscode-stub'));
import { McpProvider, MCP_PROVIDER_ID } from '../../src/vscode/mcpProvider';
import { RunLocation } from '../../src/vscode/location';
import { ApiKeyStore } from '../../src/vscode/secrets';
import { lm, resetStub, Uri, workspace, type McpStdioServerDefinition } from './vscode-stub';

const pkg = JSON.parse(readFileSync(path.join(__dirname, '../../package.json'), 'utf8')) as {
  contributes: { mcpServerDefinitionProviders: Array<{ id: string; label: string }> };
};

function keys(stored?: string): ApiKeyStore {
  const secrets = { get: vi.fn(async () => stored), store: vi.fn(), delete: vi.fn(), onDidChange: vi.fn(() => ({ dispose() {} })) };
  return new ApiKeyStore(secrets, {});
}

function provider(stored?: string): McpProvider {
  return new McpProvider({ extensionPath: '/ext', location: new RunLocation(), keys: keys(stored), execPath: '/usr/bin/node' });
}

beforeEach(() => {
  resetStub();
  workspace.workspaceFolders = [{ uri: Uri.file('/work/shop') }];
});

describe('the MCP server definition provider', () => {
  it('registers under the id package.json contributes, and unregisters on dispose (twice is safe)', () => {
    expect(pkg.contributes.mcpServerDefinitionProviders).toEqual([{ id: MCP_PROVIDER_ID, label: 'Scaled Agent Orchestration' }]);
    const p = provider();
    expect(lm.mcpProviders.get(MCP_PROVIDER_ID)).toBe(p);
    p.dispose();
    p.dispose();
    expect(lm.mcpProviders.size).toBe(0);
  });

  it('describes the bundled CLI run by the editor\'s Node.js on the first folder, with no key before VS Code starts it', () => {
    const [def] = provider('sk-ant-secret').provideMcpServerDefinitions() as unknown as McpStdioServerDefinition[];
    expect(def.command).toBe('/usr/bin/node');
    expect(def.args).toEqual([path.join('/ext', 'dist', 'cli.js'), 'mcp', '--workspace', path.resolve('/work/shop')]);
    expect(def.env).toEqual({ ELECTRON_RUN_AS_NODE: '1' });
  });

  it('hands the key from SecretStorage to the server\'s environment only when it starts, never in its arguments', async () => {
    const p = provider('sk-ant-secret');
    const [def] = p.provideMcpServerDefinitions();
    const started = await p.resolveMcpServerDefinition(def) as unknown as McpStdioServerDefinition;
    expect(started.env.ANTHROPIC_API_KEY).toBe('sk-ant-secret');
    expect(started.args.join(' ')).not.toContain('sk-ant-secret');
    const none = await provider().resolveMcpServerDefinition(provider().provideMcpServerDefinitions()[0]) as unknown as McpStdioServerDefinition;
    expect(none.env.ANTHROPIC_API_KEY).toBeNull();
  });

  it('passes the user\'s settings as flags: the provider, the cost cap, and agent approval only when opted in', () => {
    workspace.settings = { provider: 'simulated', maxCostUsd: 2, 'mcp.allowAgentApproval': true };
    const [def] = provider().provideMcpServerDefinitions() as unknown as McpStdioServerDefinition[];
    expect(def.args).toEqual(expect.arrayContaining(['--set', 'provider="simulated"', 'maxCostUsd=2', '--allow-agent-approval']));
    workspace.settings = {};
    expect((provider().provideMcpServerDefinitions()[0] as unknown as McpStdioServerDefinition).args).not.toContain('--allow-agent-approval');
  });

  it('describes no server without a folder', () => {
    workspace.workspaceFolders = undefined;
    expect(provider().provideMcpServerDefinitions()).toEqual([]);
  });
});
