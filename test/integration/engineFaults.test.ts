import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listRuns } from '../../src/engine/ledger/runs';
import { PlanError } from '../../src/engine/plan/planError';
import { simulate } from '../../src/simulator/brain';
import { forgetfulWorker, makeWorkspace, orchestrator, planReply, startFake, type Fake, type Fault } from './harness';

let fake: Fake | undefined;
afterEach(async () => { await fake?.close(); fake = undefined; });

async function runWith(fault: Fault, config = {}, plan = planReply(3, 3)) {
  const ws = makeWorkspace();
  fake = await startFake(ws, async (req, ctx, agent) => (agent === 'planner' ? plan : fault(req, ctx, agent)));
  const orch = orchestrator(fake, config);
  const run = await orch.plan({ task: 'Audit the shop' });
  const outcome = await run.execute();
  await run.ledger.close();
  return { run, outcome, fake, ws };
}

/** Counts a fault's firings per agent so each test can fail the first N requests of an agent. */
function firstN(n: number, agents: string[], reply: Parameters<Fault>[0] extends never ? never : Awaited<ReturnType<Fault>>): Fault {
  const seen = new Map<string, number>();
  return (_req, _ctx, agent) => {
    if (!agents.includes(agent)) return undefined;
    const k = (seen.get(agent) ?? 0) + 1;
    seen.set(agent, k);
    return k <= n ? reply : undefined;
  };
}

describe('transient failures are retried and the run still completes', () => {
  it('429 with retry-after', async () => {
    const { outcome, run, fake } = await runWith(firstN(2, ['a1', 'b2'], {
      kind: 'error', status: 429, type: 'rate_limit_error', message: 'slow down', headers: { 'retry-after': '0.05' },
    }));
    expect(outcome.status).toBe('completed');
    expect(fake.server.stats.requests.filter((r) => r.status === 429).length).toBe(4);
    expect(run.ledger.get('a1')!.attempts).toBe(1); // request-level retries, not a new agent attempt
    const events = readFileSync(path.join(run.dir, 'events.jsonl'), 'utf8');
    expect(events).toMatch(/retry 1 in \d+ ms after 429 rate_limit_error/);
  });

  it('529 overloaded', async () => {
    const { outcome, fake } = await runWith(firstN(1, ['a2', 'c3'], { kind: 'error', status: 529, type: 'overloaded_error', message: 'overloaded' }));
    expect(outcome.status).toBe('completed');
    expect(fake.server.stats.requests.filter((r) => r.status === 529).length).toBe(2);
  });

  it('a mid-stream overloaded_error, which the SDK itself does not retry', async () => {
    const { outcome, fake } = await runWith(firstN(1, ['a1', 'b1', 'coord-a'], { kind: 'midstream-error', type: 'overloaded_error' }));
    expect(outcome.status).toBe('completed');
    expect(fake.server.stats.requests.filter((r) => r.outcome === 'midstream-error').length).toBe(3);
  });

  it('a malformed response body', async () => {
    const { outcome } = await runWith(firstN(1, ['b3'], { kind: 'malformed' }));
    expect(outcome.status).toBe('completed');
  });
});

describe('failures that retries cannot fix become named gaps', () => {
  it('a hung request hits the per-agent timeout, is retried, then recorded as a gap', async () => {
    const started = Date.now();
    const { outcome, run } = await runWith((_r, _c, agent) => (agent === 'b2' ? { kind: 'hang' } : undefined), { agentTimeoutMs: 1_000, retries: 1 });
    expect(outcome.status).toBe('partial');
    const b2 = run.ledger.get('b2')!;
    expect(b2).toMatchObject({ status: 'failed', attempts: 2, error: 'timed out after 1 s' });
    expect(outcome.gaps).toEqual([{ agentId: 'b2', outputFile: 'workers/b2.md', reason: 'timed out after 1 s' }]);
    expect(Date.now() - started).toBeLessThan(15_000);
    // the coordinator was told, and the final summary still got written
    expect(readFileSync(path.join(run.dir, 'synthesis/b.md'), 'utf8')).toMatch(/b2/);
    expect(outcome.summaryPath).not.toBeNull();
  });

  it('a worker that forgets the sentinel is retried with the error in its prompt, then named as a gap', async () => {
    const prompts: string[] = [];
    const { outcome, run } = await runWith((req, _c, agent) => {
      if (agent !== 'a2') return undefined;
      if (req.messages.length === 1) prompts.push(JSON.stringify(req.messages[0]));
      return forgetfulWorker(req, fake!.workspace);
    });
    expect(outcome.status).toBe('partial');
    expect(run.ledger.get('a2')).toMatchObject({ status: 'failed', attempts: 2 });
    expect(run.ledger.get('a2')!.error).toMatch(/does not end with the line <!-- DONE -->/);
    expect(prompts).toHaveLength(2);
    expect(prompts[0]).not.toMatch(/previous attempt failed/);
    expect(prompts[1]).toMatch(/previous attempt failed: .*does not end with the line <!-- DONE -->/);
    expect(outcome.gaps.map((g) => g.agentId)).toEqual(['a2']);
    // the file it wrote is kept, not deleted
    expect(existsSync(path.join(run.dir, 'workers/a2.md'))).toBe(true);
  });

  it('never reports completed when a worker returned Failed.', async () => {
    const { outcome, run } = await runWith((req, _c, agent) => {
      if (agent !== 'c1') return undefined;
      const r = simulate(req, fake!.workspace);
      return r.kind === 'message' && r.content.every((b) => b.type === 'text')
        ? { kind: 'message', content: [{ type: 'text', text: 'Failed. The scope could not be read.' }] } : r;
    });
    expect(outcome.status).toBe('partial');
    expect(run.ledger.get('c1')!.error).toBe('the worker reported: Failed. The scope could not be read.');
  });
});

describe('planning', () => {
  it('re-asks the planner with the validation errors after a malformed plan', async () => {
    const planned: string[] = [];
    const ws = makeWorkspace();
    fake = await startFake(ws, (req, _c, agent) => {
      if (agent !== 'planner') return undefined;
      planned.push(JSON.stringify(req.messages));
      return planned.length === 1 ? planReply(7, 3) : planReply(3, 3);
    });
    const run = await orchestrator(fake).plan({ task: 'Audit the shop' });
    await run.ledger.close();
    expect(planned).toHaveLength(2);
    expect(planned[1]).toMatch(/Validation errors/);
    expect(planned[1]).toMatch(/Plan has 7 domains; between 3 and 5 are allowed/);
    expect(run.plan.domains).toHaveLength(3);
  });

  it('fails with every error named after the planner keeps returning garbage', async () => {
    const ws = makeWorkspace();
    fake = await startFake(ws, (_r, _c, agent) => (agent === 'planner'
      ? { kind: 'message', content: [{ type: 'tool_use', name: 'plan_fan_out', input: { domains: 'lots' } }] } : undefined));
    const err = await orchestrator(fake).plan({ task: 'Audit' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PlanError);
    expect((err as PlanError).message).toMatch(/after 3 attempts/);
    expect((err as PlanError).errors.join()).toMatch(/plan\.domains/);
    expect(fake.log.filter((l) => l.agent === 'planner')).toHaveLength(3);
    // the planner is an agent: its failure and its three requests are on its own record
    const snap = (await listRuns(ws, '.orchestration'))[0];
    expect(snap.status).toBe('failed');
    expect(snap.agents).toHaveLength(1);
    expect(snap.agents[0]).toMatchObject({ id: 'planner', role: 'planner', status: 'failed', requests: 3 });
    expect(snap.agents[0].error).toMatch(/after 3 attempts/);
    expect(snap.totals.requests).toBe(3);
  });

  it('re-asks the planner when a scope lies outside the focus, and confines the plan to it', async () => {
    const asked: string[] = [];
    const ws = makeWorkspace();
    fake = await startFake(ws, (req, _c, agent) => {
      if (agent !== 'planner') return undefined;
      asked.push(JSON.stringify(req.messages));
      if (asked.length === 1) return planReply(3, 3); // scopes all over the shop
      const reply = planReply(3, 3);
      if (reply.kind === 'message') {
        for (const b of reply.content) {
          if (b.type !== 'tool_use') continue;
          const plan = b.input as { domains: Array<{ workers: Array<{ scope: string[] }> }> };
          for (const d of plan.domains) for (const w of d.workers) w.scope = ['src/api/orders.js'];
        }
      }
      return reply;
    });
    const run = await orchestrator(fake).plan({ task: 'Audit the API', focus: ['src/api'] });
    await run.ledger.close();
    expect(asked).toHaveLength(2);
    expect(asked[0]).toMatch(/Focus only on: src\/api/);
    expect(asked[1]).toMatch(/has scope \\"src\/auth\/session\.js\\", outside the focus \(src\/api\)/);
    expect(run.plan.focus).toEqual(['src/api']);
    expect(run.ledger.agents.filter((a) => a.role === 'worker').every((a) => a.scope.every((s) => s.startsWith('src/api/')))).toBe(true);

    // The agents' tools stay inside the focus too: a worker that reaches outside is refused.
    const refusals: string[] = [];
    const original = fake.server;
    await original.close();
    fake = await startFake(ws, (req, _c, agent) => {
      if (agent !== 'a1') return undefined;
      const last = req.messages[req.messages.length - 1];
      const results = last.content.filter((b) => b.type === 'tool_result');
      if (results.length === 0) return { kind: 'message', content: [{ type: 'tool_use', name: 'read_file', input: { path: 'src/auth/session.js' } }] };
      for (const b of results) if (b.type === 'tool_result') refusals.push(typeof b.content === 'string' ? b.content : JSON.stringify(b.content));
      return undefined;
    });
    const reopened = await orchestrator(fake).open(run.id);
    await reopened.execute({ mode: 'resume' });
    await reopened.ledger.close();
    expect(refusals.join('\n')).toMatch(/src\/auth\/session\.js is outside this agent's focus \(src\/api\)/);
  });

  it('keeps runs out of git status with the output root\'s own .gitignore, unless trackRunsInGit', async () => {
    const ws = makeWorkspace();
    execFileSync('git', ['init', '-q'], { cwd: ws });
    fake = await startFake(ws, (_r, _c, agent) => (agent === 'planner' ? planReply(3, 3) : undefined));
    const run = await orchestrator(fake).plan({ task: 'Audit' });
    await run.ledger.close();
    expect(readFileSync(path.join(ws, '.orchestration/.gitignore'), 'utf8')).toMatch(/^\*$/m);
    expect(execFileSync('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: ws, encoding: 'utf8' })).not.toMatch(/\.orchestration/);
    // a team's shared config.json stays visible to git
    writeFileSync(path.join(ws, '.orchestration/config.json'), '{}');
    expect(execFileSync('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: ws, encoding: 'utf8' })).toMatch(/\.orchestration\/config\.json/);
    // and so do its workflow files, written once and shared
    mkdirSync(path.join(ws, '.orchestration/workflows'));
    writeFileSync(path.join(ws, '.orchestration/workflows/review-api.yaml'), 'name: review-api\n');
    writeFileSync(path.join(ws, '.orchestration/workflows/docs.yml'), 'name: docs\n');
    const shared = execFileSync('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: ws, encoding: 'utf8' });
    expect(shared).toMatch(/\.orchestration\/workflows\/review-api\.yaml/);
    expect(shared).toMatch(/\.orchestration\/workflows\/docs\.yml/);
    expect(shared).not.toMatch(/\.orchestration\/\d{8}-/);

    const tracked = makeWorkspace();
    execFileSync('git', ['init', '-q'], { cwd: tracked });
    await fake.close();
    fake = await startFake(tracked, (_r, _c, agent) => (agent === 'planner' ? planReply(3, 3) : undefined));
    const run2 = await orchestrator(fake, { trackRunsInGit: true }).plan({ task: 'Audit' });
    await run2.ledger.close();
    expect(existsSync(path.join(tracked, '.orchestration/.gitignore'))).toBe(false);
    expect(execFileSync('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: tracked, encoding: 'utf8' })).toMatch(/\.orchestration\/.*plan\.json/);
  });

  it('refuses an empty task before any request', async () => {
    fake = await startFake(makeWorkspace());
    await expect(orchestrator(fake).plan({ task: '   ' })).rejects.toThrow(/The task is empty/);
    expect(fake.server.stats.totalRequests).toBe(0);
  });
});

describe('the workspace stays closed', () => {
  it('a worker that tries to escape or read secrets gets refusals and nothing leaks', async () => {
    const results: string[] = [];
    const { outcome } = await runWith((req, _c, agent) => {
      if (agent !== 'a1') return undefined;
      const last = req.messages[req.messages.length - 1];
      if (req.messages.length === 1) {
        return { kind: 'message', content: [
          { type: 'tool_use', name: 'read_file', input: { path: '../../../../etc/passwd' } },
          { type: 'tool_use', name: 'read_file', input: { path: '.env' } },
          { type: 'tool_use', name: 'read_file', input: { path: '/etc/hostname' } },
          { type: 'tool_use', name: 'write_output', input: { content: 'x', path: '../evil.md' } },
        ] };
      }
      if (req.messages.length === 3) {
        for (const b of last.content) if (b.type === 'tool_result') results.push(typeof b.content === 'string' ? b.content : JSON.stringify(b.content));
      }
      return undefined; // the simulated worker carries on from here
    });
    expect(results).toHaveLength(4);
    expect(results[0]).toMatch(/refused/i);
    expect(results[1]).toMatch(/secret/i);
    expect(results[2]).toMatch(/refused|outside/i);
    expect(results[3]).toMatch(/unexpected "path"/);
    expect(results.join()).not.toMatch(/must-never-be-read/);
    expect(outcome.status).toBe('completed');
  });
});
