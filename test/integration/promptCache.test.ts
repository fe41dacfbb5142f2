import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ECHO_KEEP_CHARS } from '../../src/engine/run/converse';
import { promptTokens } from '../../src/simulator/cache';
import { roleOf, toolCalls } from '../../src/simulator/conversation';
import type { ParsedRequest, RequestRecord } from '../../src/simulator/types';
import { simulate } from '../../src/simulator/brain';
import { agentOf, makeWorkspace, orchestrator, planReply, startFake, type Fake } from './harness';

let fake: Fake | undefined;
afterEach(async () => { await fake?.close(); fake = undefined; });

/** The demo shop plus enough small modules that the workspace overview takes the shared prefix past the 1,024-token minimum. */
function workspaceWithModules(): string {
  const ws = makeWorkspace();
  for (let i = 0; i < 60; i++) {
    const dir = path.join(ws, 'src', 'modules', `area${i % 6}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `module${String(i).padStart(2, '0')}.js`), `// module ${i}\nexports.v${i} = ${i};\n`);
  }
  return ws;
}

const LONG_REPORT_LINES = 400;

/** The simulated worker, with its report padded to ~20k characters (real reports run 3–6k tokens). */
function longReports(req: ParsedRequest, ws: string) {
  const reply = simulate(req, ws);
  if (reply.kind !== 'message' || roleOf(req) !== 'worker') return reply;
  return {
    ...reply,
    content: reply.content.map((b) => {
      if (b.type !== 'tool_use' || b.name !== 'write_output' || typeof b.input.content !== 'string') return b;
      const body = b.input.content.replace(/<!-- DONE -->\s*$/, '');
      const notes = Array.from({ length: LONG_REPORT_LINES }, (_, i) => `- note ${i}: a finding the worker explains at some length here.`);
      return { ...b, input: { ...b.input, content: `${body}\n## Notes\n${notes.join('\n')}\n\n<!-- DONE -->\n` } };
    }),
  };
}

const SMALL_PLANS = { domains: { min: 1, max: 5 }, workersPerDomain: { min: 1, max: 8 } };

const firstTurn = (r: RequestRecord): boolean => r.request!.messages.length === 1;
const workerRequests = (records: RequestRecord[]): RequestRecord[] => records.filter((r) => r.request && roleOf(r.request) === 'worker' && r.outcome === 'message');

describe('the prompt cache on the realtime path', () => {
  it('writes the workers\' shared prefix once per model and every other worker\'s first request reads it; the second turn reads the whole first prompt back', async () => {
    const ws = workspaceWithModules();
    fake = await startFake(ws, (req, _c, agent) => (agent === 'planner' ? planReply(2, 4, ['haiku']) : longReports(req, ws)), { keepRequests: true });
    const run = await orchestrator(fake, SMALL_PLANS).plan({ task: 'Audit the shop for security issues' });
    const outcome = await run.execute();
    await run.ledger.close();
    expect(outcome.status).toBe('completed');

    const workers = workerRequests(fake.server.stats.requests);
    const firsts = workers.filter(firstTurn);
    expect(firsts).toHaveLength(8);
    // One request writes the prefix (tools, system, workspace overview); the seven sent after it read it.
    const writers = firsts.filter((r) => r.usage!.cacheRead === 0);
    expect(writers).toHaveLength(1);
    const prefix = writers[0].usage!.cacheWrite;
    for (const r of firsts.filter((x) => x !== writers[0])) {
      expect(r.usage!.cacheRead, agentOf(r.request!)).toBeGreaterThanOrEqual(1024);
      expect(r.usage!.input + r.usage!.cacheWrite, agentOf(r.request!)).toBeLessThan(prefix / 4);
    }
    // The first request's tail is a breakpoint, so the second reads all of the first prompt.
    for (const first of firsts) {
      const agent = agentOf(first.request!);
      const second = workers.find((r) => r.request!.messages.length === 3 && agentOf(r.request!) === agent)!;
      expect(second.usage!.cacheRead, agent).toBe(promptTokens(first.request!));
    }
    // Never more than the four breakpoints the API allows (the server refuses a fifth with a 400).
    expect(fake.server.stats.requests.every((r) => r.status === 200)).toBe(true);
  });

  it('sends a written report back to its worker cut to its head; the file keeps all of it', async () => {
    const ws = workspaceWithModules();
    fake = await startFake(ws, (req, _c, agent) => (agent === 'planner' ? planReply(1, 2, ['sonnet']) : longReports(req, ws)), { keepRequests: true });
    const run = await orchestrator(fake, SMALL_PLANS).plan({ task: 'Audit the shop for security issues' });
    const outcome = await run.execute();
    await run.ledger.close();
    expect(outcome.status).toBe('completed');

    const afterWrite = workerRequests(fake.server.stats.requests).filter((r) => toolCalls(r.request!).some((c) => c.name === 'write_output'));
    expect(afterWrite.length).toBeGreaterThanOrEqual(2);
    for (const r of afterWrite) {
      const agent = agentOf(r.request!);
      const file = readFileSync(path.join(run.dir, 'workers', `${agent}.md`), 'utf8');
      expect(file.length).toBeGreaterThan(ECHO_KEEP_CHARS * 5);
      const echoed = String(toolCalls(r.request!).find((c) => c.name === 'write_output')!.input.content);
      expect(echoed.length).toBeLessThan(ECHO_KEEP_CHARS + 200);
      expect(file.startsWith(echoed.slice(0, ECHO_KEEP_CHARS))).toBe(true);
      expect(echoed).toContain('more characters, written to the file as given');
    }
  });
});
