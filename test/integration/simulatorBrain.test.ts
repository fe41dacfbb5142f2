import Anthropic from '@anthropic-ai/sdk';
import type { ContentBlockParam, MessageParam, Tool, ToolUseBlock } from '@anthropic-ai/sdk/resources/messages';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { checkFanOut as validatePlan } from '../unit/planFixtures';
import { simulatedHandler } from '../../src/simulator/brain';
import { startSimulator } from '../../src/simulator/index';
import { startMessagesServer, type MessagesServer } from '../../src/simulator/server';

const SENTINEL = '<!-- DONE -->';
const LABEL = '> _Simulated output — no model was called._';
const PROMPTS = join(__dirname, '../../prompts');
const bounds = { domains: { min: 3, max: 5 }, workersPerDomain: { min: 3, max: 8 } };

function render(name: string, vars: Record<string, string>): string {
  const shared = join(PROMPTS, `${name}.md`);
  return readFileSync(existsSync(shared) ? shared : join(PROMPTS, 'fan-out', `${name}.md`), 'utf8').replace(/\{\{(\w+)\}\}/g, (_, k: string) => vars[k] ?? '');
}

function makeWorkspace(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'sim-ws-'));
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), text);
  }
  return root;
}

/** The planner overview format: `src/ (12 files, 48 KB)`, then indented children, files with sizes. */
function overview(root: string, rel = '', depth = 0): string {
  const lines: string[] = [];
  for (const name of readdirSync(join(root, rel)).sort()) {
    if (name.startsWith('.')) continue;
    const p = rel ? `${rel}/${name}` : name;
    const st = statSync(join(root, p));
    const pad = '  '.repeat(depth);
    if (st.isDirectory()) {
      const n = countFiles(join(root, p));
      lines.push(depth === 0 ? `${pad}${name}/ (${n} files, 1 KB)` : `${pad}${name}/`);
      if (depth < 2) lines.push(overview(root, p, depth + 1));
    } else lines.push(`${pad}${name} ${(st.size / 1024).toFixed(1)} KB`);
  }
  return lines.filter(Boolean).join('\n');
}

function countFiles(dir: string): number {
  return readdirSync(dir).reduce((n, e) => n + (statSync(join(dir, e)).isDirectory() ? countFiles(join(dir, e)) : 1), 0);
}

const code = (name: string, todos: number, fns: number) => [
  `// ${name}`,
  ...Array.from({ length: todos }, (_, i) => `// TODO: tidy part ${i + 1}`),
  ...Array.from({ length: fns }, (_, i) => `export function ${name}${i}(x: number): number {\n  return x + ${i};\n}`),
  '',
].join('\n');

const FILES: Record<string, string> = {
  'src/engine/agent.ts': code('agent', 2, 4),
  'src/engine/plan.ts': code('plan', 0, 3),
  'src/engine/tools.ts': code('tools', 1, 6),
  'src/vscode/tree.ts': code('tree', 0, 2),
  'src/vscode/commands.ts': code('commands', 3, 1),
  'src/cli.ts': code('cli', 1, 2),
  'test/unit/plan.test.ts': code('planTest', 0, 1),
  'test/unit/tools.test.ts': code('toolsTest', 0, 1),
  'docs/guide.md': '# Guide\n\nTODO: write the guide\n',
  'docs/api.md': '# API\n',
  'scripts/build.sh': '#!/bin/sh\necho build\n',
  'README.md': '# Project\n',
  'package.json': '{"name":"x"}\n',
  '.env': 'SECRET=1\n',
};

const planTool: Tool = { name: 'plan_fan_out', description: 'Submit the plan.', input_schema: { type: 'object' } };
const agentTools: Tool[] = ['list_files', 'read_file', 'search', 'write_output'].map((name) => ({ name, description: name, input_schema: { type: 'object' } }));

let root: string;
let server: MessagesServer;
let client: Anthropic;
beforeAll(async () => {
  root = makeWorkspace(FILES);
  server = await startMessagesServer({ handler: simulatedHandler(root), keepRequests: true });
  client = new Anthropic({ apiKey: 'test', baseURL: server.url, maxRetries: 0 });
});
afterAll(async () => {
  await server.close();
  rmSync(root, { recursive: true, force: true });
});

async function plan(workspace: string, task: string, feedback = ''): Promise<unknown> {
  const msg = await client.messages.create({
    model: 'claude-opus-5-5',
    max_tokens: 8192,
    system: [{ type: 'text', text: render('planner', { patternGuide: 'Split the task into 3–5 domains. Each domain has 3–8 workers.', submitHow: 'the plan_fan_out tool' }) }],
    messages: [{ role: 'user', content: render('planner-user', { task, focus: '', findings: '', overview: overview(workspace), feedback }) }],
    tools: [planTool],
    tool_choice: { type: 'tool', name: 'plan_fan_out' },
  });
  expect(msg.stop_reason).toBe('tool_use');
  const use = msg.content.find((b): b is ToolUseBlock => b.type === 'tool_use');
  expect(use?.name).toBe('plan_fan_out');
  return use?.input;
}

/** Minimal read-only tools over a workspace, the way the engine's tools behave. */
function runTool(ws: string, use: ToolUseBlock, written: string[]): { content: string; is_error?: boolean } {
  const input = use.input as Record<string, unknown>;
  const p = typeof input.path === 'string' ? input.path.replace(/\/$/, '') : '.';
  if (use.name === 'write_output') {
    written.push(String(input.content));
    return { content: `Wrote ${String(input.content).length} characters.` };
  }
  if (!existsSync(join(ws, p))) return { content: `No such file or folder: ${p}`, is_error: true };
  if (use.name === 'list_files') {
    const walk = (rel: string): string[] => readdirSync(join(ws, rel)).sort().flatMap((e) => {
      const child = rel === '.' ? e : `${rel}/${e}`;
      return statSync(join(ws, child)).isDirectory() ? walk(child) : [`${child}  ${statSync(join(ws, child)).size} B`];
    });
    return { content: walk(p).join('\n') };
  }
  if (use.name === 'read_file') {
    return { content: readFileSync(join(ws, p), 'utf8').split('\n').map((l, i) => `${String(i + 1).padStart(4)}| ${l}`).join('\n') };
  }
  return { content: 'unsupported', is_error: true };
}

function asParams(content: Anthropic.ContentBlock[]): ContentBlockParam[] {
  return content.flatMap((b): ContentBlockParam[] => {
    if (b.type === 'text') return [{ type: 'text', text: b.text }];
    if (b.type === 'tool_use') return [{ type: 'tool_use', id: b.id, name: b.name, input: b.input }];
    return [];
  });
}

/** Drives an agent conversation by hand over streaming requests until the model answers in text. */
async function converse(system: string, user: string, ws: string, model = 'claude-sonnet-5-5') {
  const messages: MessageParam[] = [{ role: 'user', content: user }];
  const written: string[] = [];
  const toolNames: string[][] = [];
  for (let turn = 0; turn < 8; turn++) {
    const msg = await client.messages.stream({ model, max_tokens: 8192, system, messages, tools: agentTools }).finalMessage();
    messages.push({ role: 'assistant', content: asParams(msg.content) });
    const uses = msg.content.filter((b): b is ToolUseBlock => b.type === 'tool_use');
    if (!uses.length) {
      const text = msg.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
      return { text, written, toolNames, messages };
    }
    toolNames.push(uses.map((u) => u.name));
    messages.push({ role: 'user', content: uses.map((u) => ({ type: 'tool_result' as const, tool_use_id: u.id, ...runTool(ws, u, written) })) });
  }
  throw new Error('conversation did not end');
}

const workerUser = (id: string, scope: string) => `${render('worker-shared', { task: 'Audit this repo for security issues', domainId: 'a', domainName: 'Engine', domainBrief: 'Covers the engine.' })}\n${render('worker-user', { agentId: id, agentTask: 'Review correctness and error handling in the engine', scope, outputFile: `.orchestration/run1/workers/${id}.md`, retryNote: '' })}`;

describe('simulated brain: planner', () => {
  it('plans 3–5 domains of 3–8 workers whose scopes exist, with tiers by kind of work', async () => {
    const input = await plan(root, 'Audit this repo for security issues');
    const check = validatePlan(input, bounds, (p) => existsSync(join(root, p)));
    expect(check.ok ? [] : check.errors).toEqual([]);
    if (!check.ok) return;
    expect(check.plan.task).toBe('Audit this repo for security issues');
    const scopes = check.plan.domains.flatMap((d) => d.workers.flatMap((w) => w.scope));
    expect(scopes).toContain('src/engine/');
    expect(scopes.some((s) => s.startsWith('.env'))).toBe(false);
    const tiers = new Set(check.plan.domains.flatMap((d) => d.workers.map((w) => w.tier)));
    expect(tiers).toEqual(new Set(['haiku', 'sonnet', 'opus']));
    expect(check.plan.domains[0].workers[0].task).toContain('Audit this repo for security issues');
  });

  it('still plans validly when the request carries validation errors', async () => {
    const feedback = '\n# Validation errors\nYour previous plan was invalid:\n- Plan has 7 domains; between 3 and 5 are allowed\n';
    const check = validatePlan(await plan(root, 'Document every module in src/', feedback), bounds, (p) => existsSync(join(root, p)));
    expect(check.ok ? [] : check.errors).toEqual([]);
  });

  it('plans validly over a workspace with two files by looking at them from several angles', async () => {
    const tiny = makeWorkspace({ 'index.js': 'function main() {}\n', 'README.md': '# Tiny\n' });
    try {
      const check = validatePlan(await plan(tiny, 'Review the code'), bounds, (p) => existsSync(join(tiny, p)));
      expect(check.ok ? [] : check.errors).toEqual([]);
      if (check.ok) expect(check.plan.domains.length).toBe(3);
    } finally {
      rmSync(tiny, { recursive: true, force: true });
    }
  });

  it('splits a single big folder into its subfolders', async () => {
    const one = makeWorkspace(Object.fromEntries(Object.entries(FILES).filter(([p]) => p.startsWith('src/')).map(([p, t]) => [p, t])));
    try {
      const check = validatePlan(await plan(one, 'Find every exported function'), bounds, (p) => existsSync(join(one, p)));
      expect(check.ok ? [] : check.errors).toEqual([]);
      if (check.ok) {
        expect(check.plan.domains.map((d) => d.name)).toEqual(['src/engine', 'src/vscode', 'src/cli.ts']);
        expect(check.plan.domains[0].workers.map((w) => w.scope)).toEqual([['src/engine/agent.ts'], ['src/engine/plan.ts'], ['src/engine/tools.ts']]);
        expect(check.plan.domains.flatMap((d) => d.workers.map((w) => w.tier))).toContain('haiku');
      }
    } finally {
      rmSync(one, { recursive: true, force: true });
    }
  });
});

describe('simulated brain: worker, coordinator and final', () => {
  it('runs a worker conversation: explore, read up to 3 files, write a report with the sentinel, say Done.', async () => {
    const run = await converse(render('worker', {}), workerUser('a1', 'src/engine/, src/cli.ts'), root);
    expect(run.toolNames[0]).toEqual(['list_files', 'read_file']);
    expect(run.toolNames.flat().filter((n) => n === 'read_file').length).toBeLessThanOrEqual(4);
    expect(run.toolNames.at(-1)).toEqual(['write_output']);
    expect(run.written).toHaveLength(1);
    const report = run.written[0];
    expect(report.startsWith(LABEL)).toBe(true);
    expect(report.endsWith(`\n${SENTINEL}`)).toBe(true);
    expect(report).toContain(`\`src/engine/tools.ts\` — ${FILES['src/engine/tools.ts'].split('\n').length - 1} lines`);
    expect(report).toContain('`src/engine/agent.ts`: 2 TODO/FIXME markers (lines 2, 3)');
    expect(report).toContain('## Summary\n3 files read: 0 risky patterns, 4 TODO/FIXME markers; the largest is `src/engine/tools.ts` (20 lines).');
    expect(run.text).toMatch(/^Done\. .+\.$/);
    expect(run.text.length).toBeLessThanOrEqual(200);
  });

  it('gives the same answer when a request is replayed', async () => {
    const kept = server.stats.requests.filter((r) => r.request?.system[0]?.text.startsWith('# Role: worker')).at(-2)?.request;
    expect(kept).toBeDefined();
    const handler = simulatedHandler(root);
    const ctx = { signal: new AbortController().signal, requestId: 'r', index: 1 };
    expect(await handler(kept!, ctx)).toEqual(await handler(kept!, ctx));
  });

  it('runs a coordinator: reads the listed files, reports failed workers, writes the synthesis, returns the top 3', async () => {
    const ws = makeWorkspace(FILES);
    try {
      const worker = await converse(render('worker', {}), workerUser('a1', 'src/engine/'), ws);
      mkdirSync(join(ws, '.orchestration/run1/workers'), { recursive: true });
      writeFileSync(join(ws, '.orchestration/run1/workers/a1.md'), worker.written[0]);
      writeFileSync(join(ws, '.orchestration/run1/workers/a2.md'), '# a2\n\n## Findings\n- half done\n');
      const workerFiles = [
        '- .orchestration/run1/workers/a1.md (a1: completed)',
        '- .orchestration/run1/workers/a2.md (a2: completed)',
        '- .orchestration/run1/workers/a3.md (a3: failed — 429 rate_limit_error (after 6 tries))',
      ].join('\n');
      const user = render('coordinator-user', {
        task: 'Audit this repo', domainId: 'a', domainName: 'Engine', domainBrief: 'Covers the engine.', workerFiles,
        outputFile: '.orchestration/run1/synthesis/a.md', retryNote: '',
      });
      const run = await converse(render('coordinator', {}), user, ws);
      expect(run.toolNames[0]).toEqual(['read_file', 'read_file', 'read_file']);
      const synthesis = run.written[0];
      expect(synthesis.startsWith(LABEL)).toBe(true);
      const order = ['## Summary', '## Failed workers', '## Top findings', '## Per-worker details'].map((h) => synthesis.indexOf(h));
      expect(order.every((i) => i > 0)).toBe(true);
      expect([...order].sort((a, b) => a - b)).toEqual(order);
      expect(synthesis).toContain('a2 (`.orchestration/run1/workers/a2.md`): file does not end with <!-- DONE -->');
      expect(synthesis).toContain('a3 (`.orchestration/run1/workers/a3.md`): listed as failed (429 rate_limit_error (after 6 tries))');
      expect(synthesis).toMatch(/1\. \[medium\] .*TODO\/FIXME markers.* — a1/);
      expect(synthesis.endsWith(`\n${SENTINEL}`)).toBe(true);
      expect(run.text.split(/\s+/).length).toBeLessThan(300);
      expect(run.text).toMatch(/^Domain a \(Engine\) — top actions:\n1\. /);
      expect(run.text).toContain('Failed workers: a2, a3.');
    } finally {
      rmSync(ws, { recursive: true, force: true });
    }
  });

  it('writes the final summary from the coordinator reports alone', async () => {
    const reports = [
      '## Domain a: Engine (coordinator completed)', 'Domain a (Engine) — top actions:', '1. `src/engine/agent.ts`: 2 TODO/FIXME markers (a1)', '2. Split tools.ts (a2)',
      '', '## Domain b: Extension (coordinator completed)', '1. Dispose the tree view (b1)',
      '', '## Domain c: Docs (coordinator failed)', 'No report: turn limit reached',
    ].join('\n');
    const msg = await client.messages.create({
      model: 'claude-opus-5-5', max_tokens: 4096,
      system: render('final', {}),
      messages: [{ role: 'user', content: render('final-user', { task: 'Audit this repo', planOutline: '- a: Engine\n- b: Extension', reports, gaps: '- b3: no output file' }) }],
    });
    expect(msg.stop_reason).toBe('end_turn');
    const text = msg.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
    expect(text.startsWith(LABEL)).toBe(true);
    expect(text).toContain('## Top actions');
    // Untagged items are actions the coordinators asked for: medium at least, alternating between domains.
    expect(text).toContain('1. [medium] **Domain a: Engine:** `src/engine/agent.ts`: 2 TODO/FIXME markers (a1)');
    expect(text).toContain('2. [medium] **Domain b: Extension:** Dispose the tree view (b1)');
    expect(text).toContain('3. [medium] **Domain a: Engine:** Split tools.ts (a2)');
    expect(text).toMatch(/## Gaps\n- b3: no output file/);
    expect(text).toContain('3 domain coordinators reported 3 actionable items (3 medium) and 1 gap.');
  });
});

describe('startSimulator', () => {
  const sims: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    await Promise.all(sims.splice(0).map((s) => s.close()));
  });

  it('serves the simulated model at baseUrl with the requested latency', async () => {
    const sim = await startSimulator({ workspace: root, latencyMs: 50 });
    sims.push(sim);
    const c = new Anthropic({ apiKey: 'test', baseURL: sim.baseUrl, maxRetries: 0 });
    const t0 = Date.now();
    const msg = await c.messages.create({ model: 'claude-haiku-5-5', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(45);
    expect(msg.content[0]).toMatchObject({ type: 'text' });
    expect((msg.content[0] as { text: string }).text.startsWith(LABEL)).toBe(true);
  });
});
