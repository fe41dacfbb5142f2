/**
 * The simulated brain against the engine's own overview renderer, scope check, plan validator and
 * workspace tools (not stand-ins), driven by hand through the real SDK over HTTP.
 */
import Anthropic from '@anthropic-ai/sdk';
import type { ContentBlockParam, MessageParam, Tool } from '@anthropic-ai/sdk/resources/messages';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endsWithSentinel } from '../../src/engine/files';
import { checkFanOut as validatePlan } from '../unit/planFixtures';
import { executeTool, toolDefinitions, type ToolContext } from '../../src/engine/tools/tools';
import { scopeExistsSync, workspaceOverview } from '../../src/engine/plan/workspace';
import { startSimulator, type Simulator } from '../../src/simulator/index';

const PROMPTS = join(__dirname, '../../prompts');
const render = (name: string, vars: Record<string, string | number>) =>
  readFileSync(existsSync(join(PROMPTS, `${name}.md`)) ? join(PROMPTS, `${name}.md`) : join(PROMPTS, 'fan-out', `${name}.md`), 'utf8').replace(/\{\{(\w+)\}\}/g, (_, k: string) => String(vars[k] ?? ''));

const OUT = '.orchestration';
let ws: string;
let sim: Simulator;
let client: Anthropic;

beforeAll(async () => {
  ws = mkdtempSync(join(tmpdir(), 'sim-engine-'));
  const files: Record<string, string> = {
    'src/server/http.ts': '// TODO: validate the body\nexport function handle(req: unknown) {\n  return req;\n}\n',
    'src/server/auth.ts': 'export function check(token: string) {\n  // FIXME: constant-time compare\n  return token === "x";\n}\n',
    'src/server/routes/users.ts': 'export const users = (id: string) => id;\n',
    'src/db/query.ts': 'export function query(sql: string) {\n  return sql;\n}\n',
    'src/db/pool.ts': 'export function pool() {}\n',
    'web/app.js': 'function main() {}\nmain();\n',
    'web/index.html': '<!doctype html>\n',
    'README.md': '# Service\n',
    '.env': 'TOKEN=secret\n',
  };
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(ws, p)), { recursive: true });
    writeFileSync(join(ws, p), text);
  }
  sim = await startSimulator({ workspace: ws });
  client = new Anthropic({ apiKey: 'test', baseURL: sim.baseUrl, maxRetries: 0 });
});
afterAll(async () => {
  await sim.close();
  rmSync(ws, { recursive: true, force: true });
});

const tools = toolDefinitions() as unknown as Tool[];

async function drive(system: string, user: string, ctx: ToolContext): Promise<string> {
  const messages: MessageParam[] = [{ role: 'user', content: user }];
  for (let turn = 0; turn < 10; turn++) {
    const msg = await client.messages.stream({ model: 'claude-sonnet-5-5', max_tokens: 8192, system, messages, tools }).finalMessage();
    const content = msg.content.flatMap((b): ContentBlockParam[] => (b.type === 'text' ? [{ type: 'text', text: b.text }]
      : b.type === 'tool_use' ? [{ type: 'tool_use', id: b.id, name: b.name, input: b.input }] : []));
    messages.push({ role: 'assistant', content });
    const uses = msg.content.filter((b) => b.type === 'tool_use');
    if (!uses.length) return msg.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
    const results: ContentBlockParam[] = [];
    for (const u of uses) {
      if (u.type !== 'tool_use') continue;
      const r = await executeTool(u.name, u.input, ctx);
      results.push({ type: 'tool_result', tool_use_id: u.id, content: r.content, ...(r.isError ? { is_error: true } : {}) });
    }
    messages.push({ role: 'user', content: results });
  }
  throw new Error('agent did not finish in 10 turns');
}

/** A planner request as the engine renders it, with the forced plan_fan_out tool. */
function askPlanner(task: string, focus: string, overview: string) {
  return client.messages.create({
    model: 'claude-sonnet-5-5', max_tokens: 8192,
    system: render('planner', { patternGuide: 'Split the task into 3–5 domains. Each domain has 3–8 workers.', submitHow: 'the plan_fan_out tool' }),
    messages: [{ role: 'user', content: render('planner-user', { task, focus, findings: '', overview, feedback: '' }) }],
    tools: [{ name: 'plan_fan_out', description: 'Submit the plan.', input_schema: { type: 'object' } }],
    tool_choice: { type: 'tool', name: 'plan_fan_out' },
  });
}

describe('simulated brain with the engine’s overview, validator and tools', () => {
  it('plans from workspaceOverview() a plan that validatePlan() accepts with the real scope check', async () => {
    const overview = await workspaceOverview(ws, { outputRoot: OUT });
    const msg = await askPlanner('Audit this service for security issues', '', overview);
    const call = msg.content.find((b) => b.type === 'tool_use');
    const check = validatePlan(call?.type === 'tool_use' ? call.input : null,
      { domains: { min: 3, max: 5 }, workersPerDomain: { min: 3, max: 8 } }, scopeExistsSync(ws, OUT));
    expect(check.ok ? [] : check.errors).toEqual([]);
    const scopes = check.ok ? check.plan.domains.flatMap((d) => d.workers.flatMap((w) => w.scope)) : [];
    expect(scopes.some((s) => s.includes('.env'))).toBe(false);
  });

  it('plans only inside the focus folders the request names', async () => {
    const overview = await workspaceOverview(ws, { outputRoot: OUT, focus: ['src/server'] });
    const msg = await askPlanner('Review the request handling', 'Focus only on: src/server\n', overview);
    const call = msg.content.find((b) => b.type === 'tool_use');
    const input = (call?.type === 'tool_use' ? call.input : {}) as { task: string; domains: Array<{ workers: Array<{ scope: string[] }> }> };
    expect(input.task).toBe('Review the request handling');
    const scopes = input.domains.flatMap((d) => d.workers.flatMap((w) => w.scope));
    expect(scopes.length).toBeGreaterThan(0);
    expect(scopes.every((s) => s.startsWith('src/server/'))).toBe(true);
  });

  it('runs a worker and then its coordinator with the engine tools; both files pass the engine’s sentinel check', async () => {
    const runDir = join(ws, OUT, 'run1');
    const a1 = join(runDir, 'workers/a1.md');
    const shared = render('worker-shared', { task: 'Audit this service', domainId: 'a', domainName: 'Server', domainBrief: 'The HTTP server.' });
    const done = await drive(render('worker', {}), `${shared}\n${render('worker-user', {
      agentId: 'a1', agentTask: 'Security-audit input handling in src/server/', scope: 'src/server/, README.md',
      outputFile: `${OUT}/run1/workers/a1.md`, retryNote: '',
    })}`, { workspace: ws, outputRoot: OUT, ownOutputFile: a1 });
    expect(done).toBe('Done. Examined 3 files in src/server/, README.md and found 1 risky pattern and 2 TODO/FIXME markers.');
    const report = readFileSync(a1, 'utf8');
    expect(endsWithSentinel(report)).toBe(true);
    expect(report).toContain('`src/server/auth.ts` — 4 lines');
    expect(report).toContain('`src/server/auth.ts`: 1 TODO/FIXME marker (line 2)');
    expect(report).toContain('`src/server/auth.ts` line 3: secret compared with ===, timing-unsafe');

    const synth = join(runDir, 'synthesis/a.md');
    const a2 = join(runDir, 'workers/a2.md');
    const returned = await drive(render('coordinator', {}), render('coordinator-user', {
      task: 'Audit this service', domainId: 'a', domainName: 'Server', domainBrief: 'The HTTP server.',
      workerFiles: `- ${OUT}/run1/workers/a1.md (a1: completed)\n- ${OUT}/run1/workers/a2.md (a2: failed — timed out)`,
      outputFile: `${OUT}/run1/synthesis/a.md`, retryNote: '',
    }), { workspace: ws, outputRoot: OUT, ownOutputFile: synth, extraReadable: [a1, a2] });
    const synthesis = readFileSync(synth, 'utf8');
    expect(endsWithSentinel(synthesis)).toBe(true);
    expect(synthesis).toContain('- a2 (`.orchestration/run1/workers/a2.md`): listed as failed (timed out)');
    expect(synthesis).toMatch(/## Top findings\n1\. \[high\] `src\/server\/auth\.ts` line 3: secret compared with ===, timing-unsafe — a1/);
    expect(synthesis).toMatch(/\n2\. \[medium\] .*TODO\/FIXME/);
    expect(returned).toContain('Failed workers: a2.');
    expect(returned.split(/\s+/).length).toBeLessThan(300);
  });
});
