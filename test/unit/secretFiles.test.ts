import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, ignoreOptionsOf, mergeConfig, parseConfig } from '../../src/engine/config';
import { workspaceOverview } from '../../src/engine/plan/workspace';
import { secretReason, UPSTREAM_LEFT_OUT, upstreamRuleKeys, UPSTREAM_SOURCE } from '../../src/engine/tools/secretFiles';
import { executeTool, isSecretPath, type ToolContext } from '../../src/engine/tools/tools';
import { putFile } from './workspaceFiles';

/** Every file issue 16 found readable by agents, and a few the old rules already refused. */
const NAMED_SECRETS = [
  'prod.env', 'config/service-account.json', 'gcp-key.json', 'infra/prod.tfvars', 'infra/terraform.tfstate', '.pypirc',
  '.yarnrc.yml', '.docker/config.json', '.kube/config', 'keys/AuthKey_ABC123.p8', 'putty.ppk', '.vault-token', '.htpasswd',
];
const OLDER_SECRETS = ['.env', 'app/.env.local', 'id_rsa', 'certs/server.pem', '.npmrc', 'credentials.json'];
const NEEDLE = 'NEEDLE_e8a1c';

let ws: string;
let ctx: ToolContext;

const put = (rel: string, content: string): Promise<void> => putFile(ws, rel, content);

async function run(name: string, input: unknown, c: ToolContext = ctx) {
  return executeTool(name, input, c);
}

beforeEach(async () => {
  ws = await fs.mkdtemp(path.join(os.tmpdir(), 'sao-secrets-'));
  ctx = { workspace: ws, outputRoot: '.orchestration', ownOutputFile: path.join(ws, '.orchestration', 'r', 'workers', 'a1.md') };
  for (const f of [...NAMED_SECRETS, ...OLDER_SECRETS]) await put(f, `TOKEN=${NEEDLE}\n`);
  await put('src/app.ts', `export const visible = "${NEEDLE}";\n`);
  await put('src/history/index.ts', 'export const history = [];\n');
  await put('src/passwordReset.ts', 'export function reset() {}\n');
  await put('deploy/prod/values.yml', `token: ${NEEDLE}\n`);
  await put('notes/launch.secret', `${NEEDLE}\n`);
});

afterEach(async () => {
  await fs.rm(ws, { recursive: true, force: true });
});

describe('secret files', () => {
  it('refuses every file issue 16 named, with the rule and where it comes from', async () => {
    for (const f of [...NAMED_SECRETS, ...OLDER_SECRETS]) {
      const r = await run('read_file', { path: f });
      expect(r.isError, f).toBe(true);
      expect(r.content, f).toMatch(new RegExp(`^read_file: refused: ${f.replace(/\./g, '\\.')} (looks like a secret file|is inside [^ ]+/, which looks like a secret): matches ".+" \\(.+\\) from (the project's list|${UPSTREAM_SOURCE.replace(/[()]/g, '\\$&')})$`));
      expect(r.content, f).not.toContain(NEEDLE);
    }
  });

  it('hides them from list_files and search, and keeps ordinary files that only look alike', async () => {
    const listed = (await run('list_files', { glob: '**' })).content;
    for (const f of [...NAMED_SECRETS, ...OLDER_SECRETS]) expect(listed, f).not.toMatch(new RegExp(`^${f.replace(/\./g, '\\.')}  `, 'm'));
    expect(listed).not.toMatch(/^\.kube\//m);
    for (const f of ['src/app.ts', 'src/history/', 'src/history/index.ts', 'src/passwordReset.ts']) expect(listed).toContain(f);

    const found = (await run('search', { pattern: NEEDLE })).content;
    expect(found.split('\n').filter((l) => l.includes(NEEDLE)).map((l) => l.split(':')[0]).sort())
      .toEqual(['deploy/prod/values.yml', 'notes/launch.secret', 'src/app.ts']);
    expect((await run('search', { pattern: `TOKEN=${NEEDLE}` })).content).toMatch(/^No matches/);
  });

  it('lets a folder named like a secret file be read: file-name rules describe files', async () => {
    expect(secretReason('src/history', { isDir: true })).toBeNull();
    expect(secretReason('.bash_history')).toMatch(/Shell command history file.*ban-sensitive-files/);
    expect((await run('list_files', { path: 'src/history' })).content).toContain('src/history/index.ts');
  });

  it('refuses what the user adds through secretFiles, and names the setting', async () => {
    const c: ToolContext = { ...ctx, secretFiles: ['*.secret', 'deploy/prod'] };
    const file = await run('read_file', { path: 'notes/launch.secret' }, c);
    expect(file.content).toBe('read_file: refused: notes/launch.secret looks like a secret file: matches "*.secret" (added by the user) from the secretFiles setting');
    const below = await run('read_file', { path: 'deploy/prod/values.yml' }, c);
    expect(below.content).toMatch(/refused: deploy\/prod\/values\.yml is inside deploy\/prod\/, which looks like a secret: matches "deploy\/prod" .* from the secretFiles setting/);
    const found = (await run('search', { pattern: NEEDLE }, c)).content;
    expect(found.split('\n').filter((l) => l.includes(NEEDLE)).map((l) => l.split(':')[0])).toEqual(['src/app.ts']);
    const listed = (await run('list_files', { glob: '**' }, c)).content;
    expect(listed).not.toContain('launch.secret');
    expect(listed).not.toContain('deploy/prod');
    // The defaults stay: the setting adds to them.
    expect((await run('read_file', { path: 'prod.env' }, c)).isError).toBe(true);
    expect(isSecretPath('x/y.secret', { secretFiles: ['*.secret'] })).toBe(true);
  });

  it('reaches the tools, the overview and the scope check from the config', async () => {
    const config = parseConfig({ secretFiles: ['*.secret'] });
    expect(ignoreOptionsOf(config).secretFiles).toEqual(['*.secret']);
    const overview = await workspaceOverview(ws, { outputRoot: '.orchestration', ...ignoreOptionsOf(config) });
    expect(overview).toContain('app.ts');
    expect(overview).not.toContain('launch.secret');
    expect(overview).not.toContain('prod.env');
  });

  it('can never remove a default: no setting, negation, ignore rule or empty list lets a secret through', async () => {
    expect(() => parseConfig({ secretFiles: ['!prod.env'] })).toThrow(ConfigError);
    expect(() => parseConfig({ secretFiles: ['!prod.env'] })).toThrow(/secretFiles\.0: adds a secret pattern; a "!" negation cannot remove one/);
    expect(() => parseConfig({ secretFilesRemove: ['prod.env'] })).toThrow(/secretFilesRemove/);
    // A later layer (a workspace file) replacing the list still leaves every built-in rule.
    const merged = parseConfig(mergeConfig({ secretFiles: ['*.secret'] }, { secretFiles: [] }));
    const everything: ToolContext = { ...ctx, ...ignoreOptionsOf(merged), includeIgnored: true, exclude: [] };
    await put('.gitignore', '!prod.env\n!.env\n');
    for (const f of NAMED_SECRETS) expect((await run('read_file', { path: f }, everything)).isError, f).toBe(true);
    // A symlink with an innocent name is judged by its target.
    await fs.symlink(path.join(ws, 'prod.env'), path.join(ws, 'notes.txt'));
    expect((await run('read_file', { path: 'notes.txt' }, everything)).content).toMatch(/resolves to prod\.env, which looks like a secret file/);
  });

  it('bounds the setting and refuses a glob it cannot match in linear time', () => {
    expect(() => parseConfig({ secretFiles: Array.from({ length: 201 }, (_, i) => `*.s${i}`) })).toThrow(/secretFiles: .*200/);
    expect(() => parseConfig({ secretFiles: ['x'.repeat(501)] })).toThrow(/secretFiles\.0/);
    expect(parseConfig({ secretFiles: ['*a*a*a*a*a*a*a*a*a*a*a*a*b'] }).secretFiles).toHaveLength(1);
  });
});

describe('the upstream list (ban-sensitive-files)', () => {
  it('is applied at run time, less only the documented exceptions, each of which still exists upstream', () => {
    const keys = upstreamRuleKeys();
    expect(keys.length).toBeGreaterThan(40);
    for (const left of UPSTREAM_LEFT_OUT.keys()) expect(keys, left).toContain(left);
    // Exact-name rules from upstream refuse their file; the exceptions do not.
    for (const key of keys) {
      const [part, pattern] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
      if (part !== 'filename' || /[\\^$*+?()[\]{}|]/.test(pattern)) continue;
      const reason = secretReason(`some/dir/${pattern}`);
      if (UPSTREAM_LEFT_OUT.has(key)) expect(reason, key).toBeNull();
      else expect(reason, key).not.toBeNull();
    }
    for (const f of ['.bash_history', 'x/.gem/credentials', 'LocalSettings.php', 'vpn.ovpn', 'backup.kdb', 'site.pubxml.user']) {
      expect(secretReason(f), f).toMatch(/from ban-sensitive-files/);
    }
    for (const f of ['app.log', 'settings.py', 'db/schema.rb', 'migrations/001.sql', 'src/dumpState.ts', 'src/backupService.ts', 'src/privateKeyParser.ts', '.bashrc']) {
      expect(secretReason(f), f).toBeNull();
    }
  });
});

describe('links named like secrets', () => {
  it('are judged by where they lead: a link to a folder is listed, a link to a file by that name is not', async () => {
    await fs.symlink(path.join(ws, 'src/history'), path.join(ws, 'history'));
    await fs.symlink(path.join(ws, 'src/app.ts'), path.join(ws, 'staging.env'));
    const listed = (await run('list_files', {})).content;
    expect(listed).toContain('history/ (symlink)');
    expect(listed).not.toContain('staging.env');
    expect((await run('read_file', { path: 'staging.env' })).content).toMatch(/refused: staging\.env looks like a secret file: matches "\*\.env"/);
  });
});
