/**
 * Agent definitions end to end, through the real engine and the real SDK over HTTP: the planner is
 * sent the user's agents, assigns a worker to one, and that worker's requests carry the
 * definition's body as a system block after its role's, with its tools narrowed (no shell, no
 * listing it did not ask for) and a tool it was not offered refused. Then `orchestrate agents`.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AnthropicModelClient } from '../../src/engine/model/anthropic';
import { Orchestrator } from '../../src/engine/orchestrator';
import type { ParsedRequest } from '../../src/simulator/types';
import type { LedgerSnapshot } from '../../src/engine/types';
import { CLI, cliAsync, keylessEnv, makeWorkspace, PROMPTS, readJson, startFake, testConfig, type Fake } from './harness';
import { API_REVIEWER, API_REVIEWER_BODY } from '../fixtures/agents';

let fake: Fake | undefined;
afterEach(async () => { await fake?.close(); fake = undefined; });

const BODY = API_REVIEWER_BODY;

const put = (dir: string, file: string, text: string): void => {
  mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
  writeFileSync(path.join(dir, file), text);
};
const breakpoints = (req: ParsedRequest): number => req.tools.filter((t) => t.cache_control).length
  + req.system.filter((b) => b.cache_control).length
  + req.messages.reduce((n, m) => n + m.content.filter((b) => b.cache_control).length, 0);

describe('agent definitions (engine)', () => {
  it('routes a worker to a defined agent: its body follows the role\'s system block, its tools are narrowed, and the plan says what it does not get', async () => {
    const ws = makeWorkspace();
    const home = mkdtempSync(path.join(os.tmpdir(), 'orch-home-'));
    put(ws, '.claude/agents/api-reviewer.md', API_REVIEWER);
    // Shadowed by the workspace's; its body must never reach a request.
    put(home, '.claude/agents/api-reviewer.md', API_REVIEWER.replace(BODY, 'SHADOWED BODY'));
    put(ws, '.orchestration/agents/broken.md', '---\nname: Broken Agent\ndescription: x\n---\nbody\n');
    const requests: Array<{ agent: string; req: ParsedRequest }> = [];
    let bashTried = false;
    fake = await startFake(ws, (req, _ctx, agent) => {
      requests.push({ agent, req });
      // The first assigned worker's model asks for Bash anyway, as a Claude Code agent would.
      if (!bashTried && req.system[1]?.text.includes(BODY) && req.messages.length === 1) {
        bashTried = true;
        return { kind: 'message', content: [{ type: 'tool_use', name: 'Bash', input: { command: 'cat src/api/*.js' } }] };
      }
      return undefined;
    });
    const orch = new Orchestrator({
      workspace: ws, config: testConfig(), promptsDir: PROMPTS, snapshotIntervalMs: 50, agentsHome: home,
      model: new AnthropicModelClient({ apiKey: 'test-key', baseUrl: fake.server.url }),
    });
    const run = await orch.plan({ task: 'Review the shop for problems', pattern: 'fan-out' });

    const planner = requests.find((r) => r.agent === 'planner')!.req;
    const plannerSystem = planner.system.map((b) => b.text).join('\n');
    expect(plannerSystem).toContain("# The user's agents");
    expect(plannerSystem).toContain('- api-reviewer (haiku): Reviews HTTP handlers for input validation and error handling');
    expect(plannerSystem).not.toContain('Broken');

    const assigned = run.ledger.agents.filter((a) => a.agentDefinition === 'api-reviewer');
    expect(assigned.length).toBeGreaterThan(0);
    for (const a of assigned) {
      expect(a.role).toBe('worker');
      expect(a.scope.some((s) => s.split('/').includes('api'))).toBe(true);
      expect(a.tier).toBe('haiku');
      expect(a.agentNotes).toContain('Bash not given: no tool runs a shell here');
    }
    const planMd = readFileSync(path.join(run.dir, 'plan.md'), 'utf8');
    expect(planMd).toContain(`| ${assigned[0].id} (@api-reviewer) | worker |`);
    expect(planMd).toMatch(new RegExp(`> \\*\\*Note:\\*\\* ${assigned[0].id} \\(@api-reviewer\\): .*Bash not given: no tool runs a shell here`));
    const kept = readJson<Array<{ name: string; body: string }>>(path.join(run.dir, 'agents.json'));
    expect(kept.map((d) => [d.name, d.body])).toEqual([['api-reviewer', BODY]]);
    const logs = readFileSync(path.join(run.dir, 'events.jsonl'), 'utf8');
    expect(logs).toMatch(/agent definition .*broken\.md:2:7: name: expected lowercase letters/);

    const outcome = await run.execute();
    expect(outcome.status).toBe('completed');

    const first = (id: string): ParsedRequest => requests.find((r) => r.agent === id)!.req;
    const plain = run.ledger.agents.find((a) => a.role === 'worker' && !a.agentDefinition)!;
    const plainReq = first(plain.id);
    const defReq = first(assigned[0].id);
    // The role's system block is first and byte-identical, so the role's prefix is shared.
    expect(defReq.system[0].text).toBe(plainReq.system[0].text);
    expect(defReq.system).toHaveLength(2);
    expect(defReq.system[1].text).toBe(`# Your agent definition: api-reviewer\n${BODY}`);
    expect(defReq.system[1].cache_control).toBeDefined();
    expect(defReq.system[0].cache_control).toBeUndefined();
    expect(plainReq.system).toHaveLength(1);
    expect(requests.every((r) => !r.req.system.some((b) => b.text.includes('SHADOWED BODY')))).toBe(true);
    expect(defReq.tools.map((t) => t.name)).toEqual(['read_file', 'search', 'write_output']);
    expect(plainReq.tools.map((t) => t.name)).toEqual(['list_files', 'read_file', 'search', 'write_output']);
    for (const r of requests) expect(breakpoints(r.req)).toBeLessThanOrEqual(4);

    // Every request of an assigned worker (every turn) carries the definition and the narrowed tools.
    for (const r of requests.filter((x) => assigned.some((a) => a.id === x.agent))) {
      expect(r.req.system[1]?.text).toContain(BODY);
      expect(r.req.tools.some((t) => t.name === 'list_files')).toBe(false);
    }
    // The Bash it asked for anyway was refused, never run, and the worker still finished.
    expect(bashTried).toBe(true);
    const bashAgent = run.ledger.agents.find((a) => readFileSync(path.join(run.dir, 'transcripts', `${a.id}.jsonl`), 'utf8').includes('Tool Bash is not available to this agent'));
    expect(bashAgent?.agentDefinition).toBe('api-reviewer');
    expect(bashAgent?.status).toBe('completed');
    const snap = readJson<LedgerSnapshot>(path.join(run.dir, 'ledger.json'));
    expect(snap.agents.find((a) => a.id === assigned[0].id)).toMatchObject({ agentDefinition: 'api-reviewer', status: 'completed' });
  });
});

describe('agent definitions in a revised plan (engine)', () => {
  it('rejects a revision naming an unknown agent, and applies a known one the user adds: tier, notes, agents.json', async () => {
    const ws = makeWorkspace();
    const home = mkdtempSync(path.join(os.tmpdir(), 'orch-home-'));
    fake = await startFake(ws);
    const orch = new Orchestrator({
      workspace: ws, config: testConfig(), promptsDir: PROMPTS, snapshotIntervalMs: 50, agentsHome: home,
      model: new AnthropicModelClient({ apiKey: 'test-key', baseUrl: fake.server.url }),
    });
    const run = await orch.plan({ task: 'Review the shop for problems', pattern: 'fan-out' });
    expect(run.ledger.agents.some((a) => a.agentDefinition)).toBe(false);
    expect(existsSync(path.join(run.dir, 'agents.json'))).toBe(false);
    // Defined after planning: the revision sees the definitions as they are now.
    put(ws, '.claude/agents/api-reviewer.md', API_REVIEWER);
    const plan = JSON.parse(JSON.stringify(run.plan)) as { domains: Array<{ workers: Array<{ id: string; tier: string; agent?: string }> }> };
    const worker = plan.domains[0].workers.find((w) => w.tier !== 'haiku') ?? plan.domains[0].workers[0];
    worker.agent = 'api-reviewr';
    await expect(orch.revisePlan(run.id, plan)).rejects.toThrow(`Worker "${worker.id}" names the agent "api-reviewr", which is not defined; use one of api-reviewer or leave \`agent\` out`);
    worker.agent = 'api-reviewer';
    const revised = await orch.revisePlan(run.id, plan);
    expect(revised.ledger.get(worker.id)).toMatchObject({ agentDefinition: 'api-reviewer', tier: 'haiku' });
    expect(revised.ledger.get(worker.id)?.agentNotes).toContain('Bash not given: no tool runs a shell here');
    expect(readJson<Array<{ name: string }>>(path.join(run.dir, 'agents.json')).map((d) => d.name)).toEqual(['api-reviewer']);
    revised.transcripts.dispose();
  });
});

describe('orchestrate agents (CLI)', () => {
  it('lists definitions with mapped tools, tier, source, shadowed ones and errors with file:line:col; exits 0', async () => {
    expect(existsSync(CLI)).toBe(true);
    const ws = makeWorkspace();
    const home = mkdtempSync(path.join(os.tmpdir(), 'orch-home-'));
    put(ws, '.claude/agents/api-reviewer.md', API_REVIEWER);
    put(home, '.claude/agents/api-reviewer.md', API_REVIEWER);
    put(home, '.claude/agents/doc-writer.md', '---\nname: doc-writer\ndescription: Writes docs\n---\nWrite docs.\n');
    put(ws, '.orchestration/agents/bad.md', '---\nname: bad\ndescription: x\nmodel: gpt-4\n---\nbody\n');
    const env = { ...keylessEnv(), HOME: home };
    const json = await cliAsync(['agents', '--workspace', ws, '--json'], env);
    expect(json.code).toBe(0);
    const out = JSON.parse(json.stdout) as { definitions: Array<Record<string, unknown>>; shadowed: Array<Record<string, unknown>>; errors: Array<Record<string, unknown>> };
    expect(out.definitions).toEqual([
      expect.objectContaining({ name: 'api-reviewer', toolsRequested: ['Read', 'Grep', 'Bash'], tools: ['read_file', 'search', 'write_output'], model: 'haiku', tier: 'haiku', origin: 'workspace', source: path.join(ws, '.claude/agents/api-reviewer.md') }),
      expect.objectContaining({ name: 'doc-writer', toolsRequested: null, tier: null, origin: 'user' }),
    ]);
    expect(out.shadowed).toEqual([expect.objectContaining({ name: 'api-reviewer', source: path.join(home, '.claude/agents/api-reviewer.md'), shadowedBy: path.join(ws, '.claude/agents/api-reviewer.md') })]);
    expect(out.errors).toEqual([expect.objectContaining({ file: path.join(ws, '.orchestration/agents/bad.md'), line: 4, column: 8 })]);

    const text = await cliAsync(['agents', '--workspace', ws], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('@api-reviewer — Reviews HTTP handlers for input validation and error handling');
    expect(text.stdout).toContain('tools: Read, Grep, Bash → read_file, search, write_output on a read-only agent');
    expect(text.stdout).toContain('note: Bash not given: no tool runs a shell here');
    expect(text.stdout).toContain('model: haiku → tier haiku');
    expect(text.stdout).toMatch(/bad\.md:4:8: model: .*found "gpt-4"/);

    const usage = await cliAsync(['agents', 'extra', '--workspace', ws], env);
    expect(usage.code).toBe(2);
  });
});
