/**
 * Children never get the key, and one redaction covers everything written, printed or sent: through
 * the built CLI and the real SDK over HTTP, a build whose check dumps its environment; in process, a
 * committed source file full of key-shaped strings that an agent reads and copies.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { marker } from '../../src/engine/redact';
import type { EngineEvent, LedgerSnapshot } from '../../src/engine/types';
import type { ParsedRequest, Reply } from '../../src/simulator/types';
import { fakeAnthropicKey, fakeAwsKeyId, fakeAwsSecret, fakeGithubToken } from '../fixtures/secrets';
import { git, gitWorkspace, worktreesDir } from './buildHarness';
import { CLI, cliAsync, makeWorkspace, orchestrator, planReply, readJson, startFake, type Fake } from './harness';

let fake: Fake | undefined;
afterEach(async () => { await fake?.close(); fake = undefined; });
beforeAll(() => { if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run npm run build (npm test does)'); });

/** Every file of a run folder, by path relative to it. */
function filesOf(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const abs = path.join(e.parentPath, e.name);
    out.set(path.relative(dir, abs), readFileSync(abs, 'utf8'));
  }
  return out;
}

const runIdOf = (ws: string): string => readdirSync(path.join(ws, '.orchestration')).find((n) => /^\d{8}-/.test(n))!;

describe('a build whose check prints its environment, run from the CLI with ANTHROPIC_API_KEY set', () => {
  it('never shows the key: not in checks/*.log, ledger.json, events.jsonl, summary.md, any run file, the CLI\'s output, nor any request', async () => {
    const ws = gitWorkspace();
    const wt = worktreesDir();
    const key = fakeAnthropicKey('the-users-own-key');
    const token = fakeGithubToken('the-users-own-token');
    const scratch = mkdtempSync(path.join(os.tmpdir(), 'orch-dump-'));
    // Dumps the environment, and fails the first time so its output goes back to the model in the retry prompt.
    writeFileSync(path.join(scratch, 'dump.js'), [
      'const fs = require("fs");',
      `const marker = ${JSON.stringify(path.join(scratch, 'ran-once'))};`,
      'console.log(JSON.stringify(process.env));',
      'if (!fs.existsSync(marker)) { fs.writeFileSync(marker, ""); console.log("1 test failed"); process.exit(1); }',
    ].join('\n'));
    const bodies: string[] = [];
    fake = await startFake(ws, (req, _c, agent) => (agent === 'planner' && req.tools.some((t) => t.name === 'plan_builders')
      ? { kind: 'message', content: [{ type: 'tool_use', name: 'plan_builders', input: { builders: [{ id: 'b1', task: 'Add a doc comment to the orders API', tier: 'haiku', owns: ['src/api/orders.js'] }] } }] }
      : undefined), { onRequest: (req: ParsedRequest) => { bodies.push(JSON.stringify(req)); } });
    const env = { ...process.env, ANTHROPIC_API_KEY: key, GITHUB_TOKEN: token, ANTHROPIC_BASE_URL: fake.server.url };
    const r = await cliAsync([
      'run', 'Add a doc comment to every source file', '--pattern', 'build', '--yes', '--workspace', ws,
      '--set', `worktreesDir=${wt}`, '--set', `verifyCommand=node ${path.join(scratch, 'dump.js')}`,
    ], env);
    expect(r.code, r.stderr).toBe(0);
    const dir = path.join(ws, '.orchestration', runIdOf(ws));

    // The check ran, twice, and its environment had neither variable.
    const log = readFileSync(path.join(dir, 'checks/b1.log'), 'utf8');
    const dumped = JSON.parse(log.split('\n').find((l) => l.startsWith('{'))!) as Record<string, string>;
    expect(dumped).toMatchObject({ CI: 'true', PATH: process.env.PATH });
    expect(Object.keys(dumped).filter((k) => /^ANTHROPIC_|^GITHUB_TOKEN$/.test(k))).toEqual([]);
    const snap = readJson<LedgerSnapshot>(path.join(dir, 'ledger.json'));
    expect(snap.agents.find((a) => a.id === 'b1')!.attempts).toBe(2);
    // The retry prompt carried the failed check's output (the environment dump) to the model.
    expect(bodies.some((b) => b.includes('1 test failed') && b.includes('\\"CI\\":\\"true\\"'))).toBe(true);

    const files = filesOf(dir);
    for (const f of ['checks/b1.log', 'ledger.json', 'events.jsonl', 'summary.md']) expect(files.has(f), f).toBe(true);
    const status = await cliAsync(['status', runIdOf(ws), '--workspace', ws], env);
    const seen: Array<[string, string]> = [
      ...files, ['stdout', r.stdout], ['stderr', r.stderr], ['status', status.stdout + status.stderr],
      ...bodies.map((b, i): [string, string] => [`request ${i}`, b]),
    ];
    for (const [where, text] of seen) {
      expect(text.includes(key), `the key in ${where}`).toBe(false);
      expect(text.includes(token), `the token in ${where}`).toBe(false);
    }
  });
});

describe('the CLI\'s output', () => {
  it('is redacted: a run folder shipped with secrets in its ledger prints them withheld, the key from the environment included', async () => {
    const ws = makeWorkspace();
    fake = await startFake(ws);
    const key = fakeAnthropicKey('printed');
    const run = await cliAsync(['run', 'Audit this repo for security issues', '--yes', '--workspace', ws], { ...process.env, ANTHROPIC_API_KEY: key, ANTHROPIC_BASE_URL: fake.server.url });
    expect(run.code, run.stderr).toBe(0);
    const id = runIdOf(ws);
    const file = path.join(ws, '.orchestration', id, 'ledger.json');
    const snap = readJson<LedgerSnapshot>(file);
    const token = fakeGithubToken('shipped');
    snap.agents[1].returned = `leaked ${token} and ${key}`;
    writeFileSync(file, JSON.stringify(snap));
    const status = await cliAsync(['status', id, '--workspace', ws], { ...process.env, ANTHROPIC_API_KEY: key });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(`leaked ${marker('github')} and ${marker('secret')}`);
    const json = await cliAsync(['status', id, '--json', '--workspace', ws], { ...process.env, ANTHROPIC_API_KEY: key });
    expect(json.stdout).not.toContain(token);
    expect(json.stdout).not.toContain(key);
  });
});

describe('a committed source file holding an AWS key, a GitHub token and an Anthropic key', () => {
  it('reaches neither workers/*.md nor any request in clear, and the ledger counts what was withheld from the agent', async () => {
    const ws = gitWorkspace();
    const secrets = [fakeAnthropicKey('committed'), fakeAwsKeyId('committed'), fakeAwsSecret('committed'), fakeGithubToken('committed')];
    const [anthropic, awsId, awsSecret, github] = secrets;
    writeFileSync(path.join(ws, 'src/deploy.js'), [
      '// Deployment settings (committed by mistake).',
      `const anthropicKey = '${anthropic}';`,
      `const aws = { aws_access_key_id: '${awsId}', aws_secret_access_key: '${awsSecret}' };`,
      `const githubToken = '${github}';`,
      'module.exports = { anthropicKey, aws, githubToken };',
    ].join('\n'));
    git(ws, ['add', '-A']);
    git(ws, ['commit', '-q', '-m', 'deploy settings']);
    const bodies: string[] = [];
    const a1Turns: string[] = [];
    fake = await startFake(ws, (req, _c, agent): Reply | undefined => {
      if (agent === 'planner') return planReply(3, 3);
      if (agent !== 'a1') return undefined;
      const turn = req.messages.filter((m) => m.role === 'assistant').length;
      a1Turns.push(JSON.stringify(req.messages[req.messages.length - 1]));
      if (turn === 0) return { kind: 'message', content: [{ type: 'tool_use', name: 'read_file', input: { path: 'src/deploy.js' } }] };
      // A model that copies secrets into its report anyway (from memory, or made up): the engine withholds them.
      if (turn === 1) {
        return { kind: 'message', content: [{ type: 'tool_use', name: 'write_output', input: {
          content: `# Findings\n\nsrc/deploy.js commits credentials:\n\n- ${anthropic}\n- ${awsId} / aws_secret_access_key = ${awsSecret}\n- ${github}\n\n<!-- DONE -->\n`,
        } }] };
      }
      return { kind: 'message', content: [{ type: 'text', text: 'Done. src/deploy.js commits four credentials.' }] };
    }, { onRequest: (req: ParsedRequest) => { bodies.push(JSON.stringify(req)); } });
    const run = await orchestrator(fake).plan({ task: 'Audit this repo for committed secrets', pattern: 'fan-out' });
    const outcome = await run.execute();
    await run.ledger.close();
    expect(outcome.status).toBe('completed');

    // The file's content went to the model, with every secret withheld.
    const readBack = a1Turns[1];
    expect(readBack).toContain(`const anthropicKey = '${marker('anthropic')}';`);
    expect(readBack).toContain(`aws_access_key_id: '${marker('aws')}'`);
    expect(readBack).toContain(`const githubToken = '${marker('github')}';`);
    const report = readFileSync(path.join(run.dir, 'workers/a1.md'), 'utf8');
    expect(report).toContain(`- ${marker('anthropic')}`);
    expect(report).toContain(`- ${marker('github')}`);
    for (const s of secrets) {
      for (const [where, text] of [...filesOf(run.dir), ...bodies.map((b, i): [string, string] => [`request ${i}`, b])]) {
        expect(text.includes(s), `${s.slice(0, 8)}… in ${where}`).toBe(false);
      }
    }
    // Four withheld from the file it read, four from the report it wrote.
    const snap = readJson<LedgerSnapshot>(path.join(run.dir, 'ledger.json'));
    expect(snap.agents.find((a) => a.id === 'a1')!.redactions).toBe(8);
    expect(snap.agents.find((a) => a.id === 'planner')!.redactions).toBeUndefined();
    const events = readFileSync(path.join(run.dir, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as EngineEvent);
    const counted = events.filter((e): e is Extract<EngineEvent, { type: 'redactions' }> => e.type === 'redactions' && e.id === 'a1');
    expect(counted.map((e) => e.count)).toEqual([4, 4]);
    expect(counted[counted.length - 1].total).toBe(8);
  });
});
