import { mkdtempSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runGit } from '../../src/engine/git/git';
import { runCheck } from '../../src/engine/patterns/build/checks';
import { childEnv, credentialValues, isCredentialVar, marker } from '../../src/engine/redact';
import { fakeAnthropicKey, fakeGithubToken } from '../fixtures/secrets';

const PARENT: NodeJS.ProcessEnv = {
  PATH: '/usr/local/bin:/usr/bin:/bin', HOME: '/home/dev', LANG: 'en_US.UTF-8', LC_ALL: 'en_US.UTF-8', TERM: 'xterm-256color',
  NODE_OPTIONS: '--max-old-space-size=4096', CI: 'false', HTTPS_PROXY: 'http://proxy.corp:3128', npm_config_cache: '/home/dev/.npm',
  JAVA_HOME: '/usr/lib/jvm', GOPATH: '/home/dev/go', KEYTIMEOUT: '1',
  ANTHROPIC_API_KEY: 'sk-ant-the-users-key-0123456789', ANTHROPIC_AUTH_TOKEN: 'bearer-value-0123456789', ANTHROPIC_BASE_URL: 'https://api.anthropic.com',
  GITHUB_TOKEN: 'gh-token-value-0123456789', GH_TOKEN: 'gh-token-value-0123456789', NPM_TOKEN: 'npm-token-value-0123456789',
  NODE_AUTH_TOKEN: 'node-auth-value-0123456789', OPENAI_API_KEY: 'openai-value-0123456789', STRIPE_SECRET_KEY: 'stripe-value-0123456789',
  DB_PASSWORD: 'db-password-value', MYSQL_PWD_PASSWORD: 'x', AWS_ACCESS_KEY_ID: 'AKIA-value', AWS_SECRET_ACCESS_KEY: 'aws-secret-value-0123456789',
  AWS_REGION: 'eu-west-1', AWS_PROFILE: 'prod', AZURE_CLIENT_ID: 'azure-id', GOOGLE_APPLICATION_CREDENTIALS: '/home/dev/gcp.json',
  npm_config__auth: 'npm-auth-value-0123456789', SSH_AUTH_SOCK: '/tmp/ssh-agent.sock', GIT_ASKPASS: '/vscode/askpass.sh',
  VSCODE_GIT_IPC_HANDLE: '/tmp/vscode-git.sock', VSCODE_IPC_HOOK_CLI: '/tmp/vscode-ipc.sock',
  DATABASE_URL: 'postgres://app:s3cr3t-pass@db:5432/app', REDIS_URL: 'redis://cache:6379',
};

describe('childEnv', () => {
  it('drops ANTHROPIC_*, keys, tokens, secrets, passwords, cloud credentials and credential channels; keeps what npm test needs', () => {
    const env = childEnv({}, PARENT);
    expect(Object.keys(env).sort()).toEqual([
      'CI', 'GOPATH', 'HOME', 'HTTPS_PROXY', 'JAVA_HOME', 'KEYTIMEOUT', 'LANG', 'LC_ALL', 'NODE_OPTIONS', 'PATH', 'REDIS_URL', 'TERM', 'npm_config_cache',
    ]);
  });

  it('adds what the caller sets on purpose on top', () => {
    expect(childEnv({ CI: 'true', FORCE_COLOR: '0' }, PARENT)).toMatchObject({ CI: 'true', FORCE_COLOR: '0', PATH: PARENT.PATH });
  });

  it('judges a variable by its name, case-insensitively, and by a password in a URL value', () => {
    expect(isCredentialVar('github_token')).toBe(true);
    expect(isCredentialVar('My_Api_Key')).toBe(true);
    expect(isCredentialVar('PATH')).toBe(false);
    expect(isCredentialVar('UPSTREAM', 'https://user:pw@example.com/x')).toBe(true);
    expect(isCredentialVar('UPSTREAM', 'https://example.com/x')).toBe(false);
  });

  it('names the credential values to withhold from output, not where credentials are kept', () => {
    const values = credentialValues(PARENT);
    expect(values).toEqual(expect.arrayContaining([PARENT.ANTHROPIC_API_KEY, PARENT.GITHUB_TOKEN, PARENT.AWS_SECRET_ACCESS_KEY, PARENT.DB_PASSWORD]));
    for (const notSecret of [PARENT.ANTHROPIC_BASE_URL, PARENT.AWS_REGION, PARENT.SSH_AUTH_SOCK, PARENT.GOOGLE_APPLICATION_CREDENTIALS, PARENT.DATABASE_URL, PARENT.PATH]) {
      expect(values).not.toContain(notSecret);
    }
  });
});

/** Runs `f` with these variables set in this process's environment, then puts it back. */
async function withEnv<T>(vars: Record<string, string>, f: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return await f();
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  }
}

describe('git as the engine runs it', () => {
  it('gets no credentials either', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'orch-git-env-'));
    const out = await withEnv({ ANTHROPIC_API_KEY: fakeAnthropicKey('git'), GITHUB_TOKEN: fakeGithubToken('git') }, () => runGit(['-c', 'alias.envdump=!env', 'envdump'], { cwd: dir }));
    const names = out.stdout.toString('utf8').split('\n').map((l) => l.split('=')[0]);
    expect(names).toContain('LC_ALL');
    expect(names).not.toContain('ANTHROPIC_API_KEY');
    expect(names).not.toContain('GITHUB_TOKEN');
  });
});

describe('a check\'s child process', () => {
  it('runs without the key in its environment, and what it prints is redacted in the log and the tail, and counted', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'orch-check-'));
    const key = fakeAnthropicKey('check');
    const token = fakeGithubToken('check');
    await withEnv({ ANTHROPIC_API_KEY: key, GITHUB_TOKEN: token }, async () => {
      const script = `console.log(JSON.stringify(process.env)); console.log('found in a fixture: ' + ${JSON.stringify(token.slice(0, 10))} + ${JSON.stringify(token.slice(10))}); process.exit(3)`;
      const r = await runCheck({
        command: `node -e ${JSON.stringify(script)}`, cwd: dir, timeoutMs: 60_000,
        logFile: path.join(dir, 'checks/b1.log'), signal: new AbortController().signal,
      });
      expect(r.code).toBe(3);
      const log = readFileSync(path.join(dir, 'checks/b1.log'), 'utf8');
      const dumped = JSON.parse(log.split('\n').find((l) => l.startsWith('{'))!) as Record<string, string>;
      expect(dumped).not.toHaveProperty('ANTHROPIC_API_KEY');
      expect(dumped).not.toHaveProperty('GITHUB_TOKEN');
      expect(dumped).toMatchObject({ CI: 'true', PATH: process.env.PATH });
      for (const text of [log, r.tail]) {
        expect(text).not.toContain(key);
        expect(text).not.toContain(token);
        expect(text).toContain(`found in a fixture: ${marker('github')}`);
      }
      expect(r.redactions).toBe(1);
    });
  });
});
