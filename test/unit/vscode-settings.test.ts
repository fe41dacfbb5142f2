import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
vi.mock('vscode', async () => await import('./vscode-stub'));
import { ConfigSchema, parseConfig, type ConfigLayer } from '../../src/engine';
import { editorExcludes, machineKeysInWorkspaceFile, outputRootSetting, readSettings, SettingsError } from '../../src/vscode/settings';

const section = (values: Record<string, unknown>) => ({ get: <T>(key: string) => values[key] as T | undefined });
const pkg = JSON.parse(readFileSync(path.join(__dirname, '../../package.json'), 'utf8')) as { contributes: { configuration: { properties: Record<string, Record<string, unknown>> } } };
const props = pkg.contributes.configuration.properties;

function errorOf(values: Record<string, unknown>): SettingsError {
  try {
    readSettings(section(values));
  } catch (err) {
    expect(err).toBeInstanceOf(SettingsError);
    return err as SettingsError;
  }
  throw new Error('expected readSettings to throw');
}

describe('settings validation', () => {
  it('fills every default when nothing is set', () => {
    const s = readSettings(section({}));
    expect(s.config).toEqual(parseConfig({}));
    expect(s.autoApprovePlan).toBe(false);
    expect(s.simulatedLatencyMs).toBe(0);
  });

  it('reads nested tier settings one key at a time and keeps the others at their defaults', () => {
    const s = readSettings(section({ 'models.opus': 'my-opus', 'tierCaps.haiku': 3, provider: 'simulated', baseUrl: null, autoApprovePlan: true }));
    expect(s.config.models).toEqual({ haiku: 'claude-haiku-5-5', sonnet: 'claude-sonnet-5-5', opus: 'my-opus' });
    expect(s.config.tierCaps).toEqual({ haiku: 3, sonnet: 8, opus: 4 });
    expect(s.config.provider).toBe('simulated');
    expect(s.autoApprovePlan).toBe(true);
  });

  it.each([
    [{ maxConcurrent: 0 }, 'orchestration.maxConcurrent'],
    [{ maxConcurrent: 2.5 }, 'orchestration.maxConcurrent'],
    [{ 'tierCaps.opus': 100 }, 'orchestration.tierCaps.opus'],
    [{ 'models.haiku': '' }, 'orchestration.models.haiku'],
    [{ provider: 'openai' }, 'orchestration.provider'],
    [{ baseUrl: 'not a url' }, 'orchestration.baseUrl'],
    [{ retries: 3 }, 'orchestration.retries'],
    [{ outputRoot: '../outside' }, 'orchestration.outputRoot'],
    [{ prices: { 'm': { input: -1, output: 1, cacheRead: 0, cacheWrite: 0 } } }, 'orchestration.prices.m.input'],
    [{ maxCostUsd: 0 }, 'orchestration.maxCostUsd'],
    [{ simulatedLatencyMs: -5 }, 'orchestration.simulatedLatencyMs'],
  ])('names the bad setting for %o', (values, key) => {
    const err = errorOf(values);
    expect(err.keys).toContain(key);
    expect(err.message).toContain(`${key}:`);
  });

  it('falls back to the default output root when the setting is unusable', () => {
    expect(outputRootSetting(section({ outputRoot: '../x' }))).toBe('.orchestration');
    expect(outputRootSetting(section({ outputRoot: 'runs' }))).toBe('runs');
  });
});

describe('contributed settings match the engine schema', () => {
  const defaults = parseConfig({}) as Record<string, unknown>;
  const json = z.toJSONSchema(ConfigSchema, { io: 'input' }) as { properties: Record<string, Record<string, unknown> & { properties?: Record<string, Record<string, unknown>> }> };
  const engineKey = (key: string) => key.replace(/^orchestration\./, '').split('.');
  // The schema's keys, not the defaults': `batch` has no default (unset is not the same as "off").
  const engineProps = Object.keys(props).filter((k) => engineKey(k)[0] in ConfigSchema.shape);

  it('covers the settings the brief asks for', () => {
    for (const k of ['provider', 'baseUrl', 'models.haiku', 'models.sonnet', 'models.opus', 'maxConcurrent', 'tierCaps.haiku', 'tierCaps.sonnet',
      'tierCaps.opus', 'scheduling', 'retries', 'agentTimeoutMs', 'maxTurns', 'outputRoot', 'prices', 'autoApprovePlan', 'maxCostUsd', 'maxTokens']) {
      expect(props, k).toHaveProperty([`orchestration.${k}`]);
      expect(String(props[`orchestration.${k}`].markdownDescription ?? props[`orchestration.${k}`].description).length, k).toBeGreaterThan(20);
    }
  });

  it.each(Object.keys(props).filter((k) => engineKey(k)[0] in parseConfig({})))('%s has the engine default and bounds', (key) => {
    const [top, sub] = engineKey(key);
    const expected = sub ? (defaults[top] as Record<string, unknown>)[sub] : defaults[top];
    // The Settings UI has no text box for a string-or-null setting, so these spell "not set" as "".
    const emptyIsNull = ['orchestration.baseUrl', 'orchestration.verifyCommand', 'orchestration.worktreesDir'].includes(key);
    const setting = emptyIsNull ? ConfigSchema.shape[top as 'baseUrl' | 'verifyCommand' | 'worktreesDir'].parse(props[key].default) : props[key].default;
    expect(setting).toEqual(expected);
    const schema = sub ? json.properties[top].properties![sub] : json.properties[top];
    const bounds = (s: Record<string, unknown>) => {
      const variants = (s.anyOf as Array<Record<string, unknown>> | undefined) ?? [s];
      const v = variants.find((x) => x.type !== 'null') ?? {};
      // Normalise: zod writes int().positive() as exclusiveMinimum 0 plus safe-integer limits.
      const int = v.type === 'integer' || (Array.isArray(v.type) && v.type.includes('integer'));
      const safe = (n: unknown) => (Math.abs(Number(n)) === Number.MAX_SAFE_INTEGER ? undefined : n);
      const minimum = int && typeof v.exclusiveMinimum === 'number' ? v.exclusiveMinimum + 1 : safe(v.minimum);
      return { minimum, maximum: safe(v.maximum), exclusiveMinimum: int ? undefined : v.exclusiveMinimum, enum: v.enum };
    };
    const mine = bounds(props[key]);
    const theirs = bounds(schema);
    for (const k of ['minimum', 'maximum', 'exclusiveMinimum', 'enum'] as const) {
      if (theirs[k] !== undefined) expect(mine[k], `${key} ${k}`).toEqual(theirs[k]);
    }
  });

  it('lists only settings the extension reads', () => {
    const extensionOnly = Object.keys(props).filter((k) => !engineProps.includes(k)).sort();
    expect(extensionOnly).toEqual(['orchestration.autoApprovePlan', 'orchestration.mcp.allowAgentApproval', 'orchestration.simulatedLatencyMs']);
  });
});

/** The repository's `.orchestration/config.json`, as loadProjectConfig reads it. */
const file = (values: Record<string, unknown>): ConfigLayer => ({ source: '.orchestration/config.json', trusted: false, values });

describe('settings over .orchestration/config.json', () => {
  /** A section like VS Code's: get() falls back to the default, inspect() tells what the user (and the workspace) set. */
  const inspected = (userSet: Record<string, unknown>, defaults: Record<string, unknown> = {}, workspaceSet: Record<string, unknown> = {}) => ({
    get: <T>(key: string) => (key in workspaceSet ? workspaceSet[key] : key in userSet ? userSet[key] : defaults[key]) as T | undefined,
    inspect: <T>(key: string) => ({ key, defaultValue: defaults[key] as T, globalValue: userSet[key] as T | undefined, workspaceValue: workspaceSet[key] as T | undefined }),
  });

  it('applies the project file where the user set nothing, even though get() returns defaults', () => {
    const s = readSettings(inspected({}, { maxConcurrent: 8, scheduling: 'continuous' }), file({ maxConcurrent: 3, scheduling: 'waves', retries: 0 }));
    expect(s.config.maxConcurrent).toBe(3);
    expect(s.config.scheduling).toBe('waves');
    expect(s.config.retries).toBe(0);
    expect(s.ignored).toEqual([]);
  });

  it('lets an explicit VS Code setting win over the file', () => {
    const s = readSettings(inspected({ maxConcurrent: 5, 'tierCaps.opus': 1 }), file({ maxConcurrent: 3, tierCaps: { haiku: 2, sonnet: 2, opus: 2 } }));
    expect(s.config.maxConcurrent).toBe(5);
    expect(s.config.tierCaps).toEqual({ haiku: 2, sonnet: 2, opus: 1 });
  });

  it('reads an empty baseUrl text box as "not set", and never takes the endpoint from the repository', () => {
    expect(props['orchestration.baseUrl']).toMatchObject({ type: 'string', default: '' });
    const pattern = new RegExp(String(props['orchestration.baseUrl'].pattern));
    expect(['', 'https://api.anthropic.com', 'http://127.0.0.1:8080/v1'].every((v) => pattern.test(v))).toBe(true);
    expect(['ftp://x', 'https://', ' ', 'api.anthropic.com'].some((v) => pattern.test(v))).toBe(false);
    const fromFile = readSettings(inspected({ baseUrl: '' }), file({ baseUrl: 'https://proxy.example/v1' }));
    expect(fromFile.config.baseUrl).toBeNull();
    expect(fromFile.ignored).toEqual([expect.objectContaining({ key: 'baseUrl', source: '.orchestration/config.json' })]);
    expect(readSettings(inspected({ baseUrl: '' })).config.baseUrl).toBeNull();
    expect(readSettings(inspected({ baseUrl: 'https://other.example' }), file({ baseUrl: 'https://proxy.example/v1' })).config.baseUrl).toBe('https://other.example');
    expect(() => readSettings(inspected({ baseUrl: 'not a url' }))).toThrow(/orchestration\.baseUrl/);
  });

  it('names the file, not a setting, when the file is wrong', () => {
    expect(() => readSettings(inspected({}), file({ retries: 9 }))).toThrow(/Invalid \.orchestration\/config\.json:\n\s+retries/);
  });

  it('obeys none of the machine-only keys a workspace\'s .vscode/settings.json sets, and says so', () => {
    const ws = {
      baseUrl: 'http://127.0.0.1:9/recorder', provider: 'simulated', verifyCommand: 'touch pwned', worktreesDir: '/tmp/elsewhere',
      autoApprovePlan: true, includeIgnored: true, maxConcurrent: 64, 'tierCaps.opus': 2,
    };
    const s = readSettings(inspected({}, {}, ws));
    expect(s.config.baseUrl).toBeNull();
    expect(s.config.provider).toBe('anthropic');
    expect(s.config.worktreesDir).toBeNull();
    expect(s.config.includeIgnored).toBe(false);
    expect(s.config.verifyCommand).toBeNull();
    expect(s.autoApprovePlan).toBe(false);
    expect(s.config.maxConcurrent).toBe(8);
    expect(s.config.tierCaps.opus).toBe(2); // lowering a cap is the workspace's to choose
    expect(s.workspaceCommand).toEqual({ command: 'touch pwned', source: '.vscode/settings.json (workspace settings)' });
    expect(s.ignored.map((i) => i.key).sort()).toEqual(['autoApprovePlan', 'baseUrl', 'includeIgnored', 'maxConcurrent', 'provider', 'worktreesDir']);
    for (const i of s.ignored) expect(i.reason).toMatch(/user settings/);
  });

  it('takes the same keys from the user\'s own settings', () => {
    const s = readSettings(inspected({ baseUrl: 'https://gateway.example', verifyCommand: 'npm test', autoApprovePlan: true, maxConcurrent: 32 }));
    expect(s.config.baseUrl).toBe('https://gateway.example');
    expect(s.config.verifyCommand).toBe('npm test');
    expect(s.autoApprovePlan).toBe(true);
    expect(s.config.maxConcurrent).toBe(32);
    expect(s.workspaceCommand).toBeNull();
    expect(s.ignored).toEqual([]);
  });

  it('reports the machine-only keys VS Code dropped from .vscode/settings.json, read from the file (with comments), without using a value', async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'orch-settings-'));
    try {
      expect(await machineKeysInWorkspaceFile(folder)).toEqual([]);
      mkdirSync(path.join(folder, '.vscode'));
      writeFileSync(path.join(folder, '.vscode', 'settings.json'), [
        '{', '  // the key goes wherever this says', '  "orchestration.baseUrl": "http://127.0.0.1:9/recorder",',
        '  "orchestration.provider": "anthropic",', '  "orchestration.autoApprovePlan": true,', '  "orchestration.maxConcurrent": 2,', '}',
      ].join('\n'));
      const dropped = await machineKeysInWorkspaceFile(folder);
      expect(dropped).toEqual(['provider', 'baseUrl', 'autoApprovePlan']);
      // VS Code hands the extension no workspace value for them; one it did hand over is not reported twice.
      const s = readSettings(inspected({}, {}, { autoApprovePlan: true }), undefined, [], dropped);
      expect(s.config.baseUrl).toBeNull();
      expect(s.config.provider).toBe('anthropic');
      expect(s.autoApprovePlan).toBe(false);
      expect(s.ignored.map((i) => `${i.key} from ${i.source}`)).toEqual(['autoApprovePlan', 'provider', 'baseUrl'].map((k) => `${k} from .vscode/settings.json (workspace settings)`));
      for (const i of s.ignored) expect(i.reason).toMatch(/machine-only.*user settings/);
      writeFileSync(path.join(folder, '.vscode', 'settings.json'), '["not", "an object"]');
      expect(await machineKeysInWorkspaceFile(folder)).toEqual([]);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('declares every machine-only setting with machine scope, so the Settings UI offers it only as a user setting', () => {
    for (const key of ['provider', 'baseUrl', 'prices', 'worktreesDir', 'worktreeLinks', 'includeIgnored', 'autoApprovePlan', 'verifyCommand']) {
      expect(props[`orchestration.${key}`]?.scope, key).toMatch(/^(machine|application)$/);
    }
  });
});

describe('what VS Code hides, the agents do not see', () => {
  const editor = (files: unknown, search: unknown) => (s: string) => ({ get: <T>(_k: string) => (s === 'files' ? files : search) as T | undefined });

  it('takes the globs files.exclude and search.exclude set to true, leaving out false ones and "when" conditions', () => {
    const globs = editorExcludes(editor(
      { '**/.git': true, '**/*.js': { when: '$(basename).ts' }, '**/tmp': false, '**/out': true },
      { '**/node_modules': true, '**/out': true, '**/fixtures': true },
    ));
    expect(globs).toEqual(['**/.git', '**/out', '**/node_modules', '**/fixtures']);
    expect(editorExcludes(editor(undefined, 'not an object'))).toEqual([]);
  });

  it('adds them to orchestration.exclude, unless includeIgnored is on', () => {
    const s = readSettings(section({ exclude: ['**/fixtures', 'docs/*.pdf'] }), undefined, ['**/out', '**/fixtures']);
    expect(s.config.exclude).toEqual(['**/fixtures', 'docs/*.pdf', '**/out']);
    expect(s.config.includeIgnored).toBe(false);
    const all = readSettings(section({ includeIgnored: true, exclude: ['docs/*.pdf'] }), undefined, ['**/out']);
    expect(all.config.exclude).toEqual(['docs/*.pdf']);
    expect(all.config.includeIgnored).toBe(true);
  });

  it('names a bad exclude entry by its setting', () => {
    expect(errorOf({ exclude: ['../elsewhere/**'] }).message).toMatch(/orchestration\.exclude\.0: must not contain "\.\."/);
    expect(errorOf({ includeIgnored: 'yes' }).keys).toEqual(['orchestration.includeIgnored']);
  });
});
