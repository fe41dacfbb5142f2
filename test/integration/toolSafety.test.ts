import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ParsedRequest } from '../../src/simulator/types';
import { CLI, makeWorkspace, orchestrator, planReply, startFake, type Fake } from './harness';

let fake: Fake | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

/** The text of the tool results in a request's last message. */
function toolResults(req: ParsedRequest): string[] {
  const last = req.messages[req.messages.length - 1];
  return last.content.flatMap((b) => (b.type === 'tool_result' ? [typeof b.content === 'string' ? b.content : JSON.stringify(b.content)] : []));
}

function put(ws: string, rel: string, content: string): void {
  mkdirSync(path.dirname(path.join(ws, rel)), { recursive: true });
  writeFileSync(path.join(ws, rel), content);
}

describe('an agent asking for secret files', () => {
  it('gets a refusal naming the rule, and the secret never reaches the API', async () => {
    const ws = makeWorkspace();
    const secret = 'sk-live-7f3c9a1e5b';
    put(ws, 'deploy/prod.env', `API_KEY=${secret}\n`);
    put(ws, 'service-account.json', `{"private_key": "${secret}"}\n`);
    put(ws, 'notes/launch.secret', `${secret}\n`);
    const refusals: string[] = [];
    const bodies: string[] = [];
    fake = await startFake(ws, (req, _c, agent) => {
      bodies.push(JSON.stringify(req));
      if (agent === 'planner') return planReply(3, 3);
      if (agent !== 'a1') return undefined;
      if (req.messages.length === 1) {
        return { kind: 'message', stopReason: 'tool_use', content: [
          { type: 'tool_use', name: 'read_file', input: { path: 'deploy/prod.env' } },
          { type: 'tool_use', name: 'read_file', input: { path: 'service-account.json' } },
          { type: 'tool_use', name: 'read_file', input: { path: 'notes/launch.secret' } },
          { type: 'tool_use', name: 'search', input: { pattern: 'sk-live-' } },
        ] };
      }
      if (refusals.length === 0) refusals.push(...toolResults(req));
      return undefined;
    });
    const run = await orchestrator(fake, { secretFiles: ['*.secret'] }).plan({ task: 'Audit the shop' });
    const outcome = await run.execute();
    await run.ledger.close();

    expect(outcome.status).toBe('completed');
    expect(refusals).toEqual([
      'read_file: refused: deploy/prod.env looks like a secret file: matches "*.env" (environment file) from the project\'s list',
      'read_file: refused: service-account.json looks like a secret file: matches "*service{-,_,}account*.json" (cloud service account key) from the project\'s list',
      'read_file: refused: notes/launch.secret looks like a secret file: matches "*.secret" (added by the user) from the secretFiles setting',
      'No matches for "sk-live-".',
    ]);
    expect(bodies.length).toBeGreaterThan(10);
    expect(bodies.filter((b) => b.includes(secret))).toEqual([]);
  });
});

describe('a catastrophic regular expression through the real search tool', () => {
  it('finishes within a bound over a file of long lines, and the run goes on', async () => {
    const ws = makeWorkspace();
    // ^(a+)+$ held a backtracking engine a minute on one 31-byte line of this kind; these are 5,000 bytes.
    const long = `${'a'.repeat(5_000)}b`;
    put(ws, 'data/aab.txt', `${Array.from({ length: 150 }, () => long).join('\n')}\naaaa\n`);
    let result: string[] | undefined;
    fake = await startFake(ws, (req, _c, agent) => {
      if (agent === 'planner') return planReply(3, 3);
      if (agent !== 'a1') return undefined;
      if (req.messages.length === 1) {
        return { kind: 'message', stopReason: 'tool_use', content: [{ type: 'tool_use', name: 'search', input: { pattern: '^(a+)+$', regex: true, glob: 'data/*.txt' } }] };
      }
      result ??= toolResults(req);
      return undefined;
    });

    // In a child process, so a regression is a process this test kills, not a test runner that hangs.
    const bound = 60_000;
    const env = { ...process.env, ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: fake.server.url };
    const child = spawn(process.execPath, [CLI, 'run', 'Audit the shop', '--yes', '--workspace', ws], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => { output += String(d); });
    child.stderr.on('data', (d) => { output += String(d); });
    const started = Date.now();
    const code = await new Promise<number | null | 'killed'>((resolve) => {
      const timer = setTimeout(() => { child.kill('SIGKILL'); resolve('killed'); }, bound);
      child.on('exit', (c) => { clearTimeout(timer); resolve(c); });
    });

    expect(code, output).toBe(0);
    expect(Date.now() - started).toBeLessThan(bound);
    expect(result).toEqual(['data/aab.txt:151: aaaa']);
  }, 90_000);
});
