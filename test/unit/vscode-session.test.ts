import * as path from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
vi.mock('vscode', async () => await import('./vscode-stub'));
vi.mock('../../src/providers', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../src/providers')>()),
  openProvider: vi.fn(async (config: { provider: string }) => ({ model: {}, simulated: config.provider === 'simulated', dispose: async () => undefined })),
}));
import { parseConfig } from '../../src/engine';
import { openProvider } from '../../src/providers';
import { RunLocation } from '../../src/vscode/location';
import { ApiKeyStore } from '../../src/vscode/secrets';
import { openSession } from '../../src/vscode/runs/session';
import { readSettings } from '../../src/vscode/settings';
import { commands, resetStub, Uri, window, workspace } from './vscode-stub';

function secrets(stored?: string) {
  return { get: vi.fn(async () => stored), store: vi.fn(async () => undefined), delete: vi.fn(async () => undefined), onDidChange: () => ({ dispose() {} }) };
}
const logger = { info: vi.fn(), warn: vi.fn(), error: vi.fn() };

function deps(opts: { stored?: string; env?: Record<string, string>; settings?: () => ReturnType<typeof readSettings> } = {}) {
  const keys = new ApiKeyStore(secrets(opts.stored), opts.env ?? {});
  return { location: new RunLocation(), keys, logger, promptsDir: path.join(__dirname, '../../prompts'), readSettings: opts.settings ?? (() => ({ config: parseConfig({}), autoApprovePlan: false, simulatedLatencyMs: 0, ignored: [], workspaceCommand: null })) };
}

beforeEach(() => {
  resetStub();
  vi.mocked(openProvider).mockClear();
  logger.info.mockClear();
  workspace.workspaceFolders = [{ uri: Uri.file('/ws') }];
});

describe('opening a session', () => {
  it('asks to set a key or use the simulated provider when no key exists, and runs simulated on request', async () => {
    window.showWarningMessage.mockResolvedValueOnce('Use Simulated Provider');
    const session = await openSession(deps());
    expect(window.showWarningMessage).toHaveBeenCalledWith(expect.stringMatching(/No Anthropic API key/), 'Set API Key', 'Use Simulated Provider');
    expect(vi.mocked(openProvider).mock.calls[0]?.[0].provider).toBe('simulated');
    expect(vi.mocked(openProvider).mock.calls[0]?.[1].apiKey).toBeUndefined();
    expect(session?.provider.simulated).toBe(true);
  });

  it('stops quietly when the key prompt is dismissed', async () => {
    expect(await openSession(deps())).toBeUndefined();
    expect(openProvider).not.toHaveBeenCalled();
  });

  it('stores a key typed after "Set API Key" and passes it only to the provider', async () => {
    window.showWarningMessage.mockResolvedValueOnce('Set API Key');
    window.showInputBox.mockResolvedValueOnce('sk-ant-test-123456789');
    const d = deps();
    const store = vi.spyOn((d.keys as unknown as { secrets: { store: () => void } }).secrets, 'store');
    await openSession(d);
    expect(store).toHaveBeenCalledWith('orchestration.anthropicApiKey', 'sk-ant-test-123456789');
    expect((window.showInputBox.mock.calls[0]?.[0] as { password: boolean }).password).toBe(true);
    expect(JSON.stringify(logger.info.mock.calls)).not.toContain('sk-ant-test');
  });

  it('uses ANTHROPIC_API_KEY from the environment without asking', async () => {
    await openSession(deps({ env: { ANTHROPIC_API_KEY: 'sk-ant-env-abcdefghijk' } }));
    expect(window.showWarningMessage).not.toHaveBeenCalled();
    expect(vi.mocked(openProvider).mock.calls[0]?.[1].apiKey).toBe('sk-ant-env-abcdefghijk');
  });

  it('reports a bad setting by name with a button that opens it', async () => {
    window.showErrorMessage.mockResolvedValueOnce('Open Settings');
    workspace.settings = { maxConcurrent: 0 };
    expect(await openSession(deps({ settings: () => readSettings() }))).toBeUndefined();
    expect(String(window.showErrorMessage.mock.calls[0]?.[0])).toContain('orchestration.maxConcurrent');
    await vi.waitFor(() => expect(commands.executeCommand).toHaveBeenCalledWith('workbench.action.openSettings', 'orchestration.maxConcurrent'));
  });

  it('reports a broken install (no prompts) and closes the provider it opened', async () => {
    const dispose = vi.fn(async () => undefined);
    vi.mocked(openProvider).mockResolvedValueOnce({ model: {} as never, simulated: true, dispose });
    expect(await openSession({ ...deps({ env: { ANTHROPIC_API_KEY: 'k' } }), promptsDir: '/nowhere' })).toBeUndefined();
    expect(dispose).toHaveBeenCalled();
    expect(String(window.showErrorMessage.mock.calls[0]?.[0])).toMatch(/cannot start: .*prompts/);
  });

  it('needs a folder', async () => {
    workspace.workspaceFolders = undefined;
    expect(await openSession(deps())).toBeUndefined();
    expect(String(window.showErrorMessage.mock.calls[0]?.[0])).toMatch(/Open a folder/);
  });
});
