/**
 * Integration harness: the real engine and the real SDK over HTTP against the fake Messages API
 * server on 127.0.0.1, answered by the simulated model unless a test's fault says otherwise.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AnthropicModelClient } from '../../src/engine/model/anthropic';
import { parseConfig, type ConfigInput } from '../../src/engine/config';
import { Orchestrator } from '../../src/engine/orchestrator';
import { simulate } from '../../src/simulator/brain';
import { field, promptText, roleOf } from '../../src/simulator/conversation';
import { startMessagesServer, type MessagesServer, type MessagesServerOptions } from '../../src/simulator/server';
import type { HandlerContext, ParsedRequest, Reply } from '../../src/simulator/types';
import type { LedgerSnapshot } from '../../src/engine/types';

export const ROOT = path.resolve(__dirname, '../..');
export const PROMPTS = path.join(ROOT, 'prompts');
export const CLI = path.join(ROOT, 'dist/cli.js');

/** Workspaces the current test made; setup.ts checks every run in them after each test. */
export const workspacesOfThisTest = new Set<string>();

/** A fresh copy of the example workspace (it has a .env that agents must never read). */
export function makeWorkspace(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'orch-ws-'));
  cpSync(path.join(ROOT, 'examples/demo-shop'), dir, { recursive: true, filter: (src) => !src.includes('.orchestration') });
  workspacesOfThisTest.add(dir);
  return dir;
}

/**
 * The accounting invariant: every request belongs to an agent (the planner included), so the
 * run's totals are exactly the sum over its agents. Throws with the difference.
 */
export function expectTotalsMatchAgents(snap: LedgerSnapshot): void {
  const sum = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, costUsd: 0, requests: 0, toolCalls: 0 };
  for (const a of snap.agents) {
    sum.input += a.usage.input; sum.output += a.usage.output; sum.cacheRead += a.usage.cacheRead; sum.cacheWrite += a.usage.cacheWrite;
    sum.costUsd += a.costUsd; sum.requests += a.requests; sum.toolCalls += a.toolCalls;
  }
  const t = snap.totals;
  const totals = { ...t.usage, costUsd: t.costUsd, requests: t.requests, toolCalls: t.toolCalls };
  const off = Object.entries(sum).filter(([k, v]) => Math.abs(v - totals[k as keyof typeof totals]) > (k === 'costUsd' ? 1e-9 : 0));
  if (off.length) {
    throw new Error(`Run ${snap.runId}: totals ≠ sum over agents for ${off.map(([k, v]) => `${k} (totals ${totals[k as keyof typeof totals]}, agents ${v})`).join(', ')}`);
  }
}

/** Checks the invariant on every run's ledger.json under a workspace's output root. */
export function expectTotalsMatchAgentsIn(workspace: string, outputRoot = '.orchestration'): number {
  const root = path.join(workspace, outputRoot);
  if (!existsSync(root)) return 0;
  let checked = 0;
  for (const name of readdirSync(root)) {
    const file = path.join(root, name, 'ledger.json');
    if (!existsSync(file)) continue;
    expectTotalsMatchAgents(JSON.parse(readFileSync(file, 'utf8')) as LedgerSnapshot);
    checked++;
  }
  return checked;
}

/** Which agent sent a request: planner, final, supervisor, consensus, a worker, expert, scout or builder id (a1, w1, e1, s1, b1), a reviewer (r-b1), a coordinator id (coord-a) or a stage id (s1). */
export function agentOf(req: ParsedRequest): string {
  const role = roleOf(req);
  if (role === 'planner' || role === 'final' || role === 'supervisor' || role === 'consensus' || role === null) return role ?? 'unknown';
  const text = promptText(req);
  if (role === 'builder') return /# Your assignment \((b\d+)\)/.exec(text)?.[1] ?? 'unknown';
  if (role === 'reviewer') return `r-${/# Builder (b\d+)'s assignment/.exec(text)?.[1] ?? 'unknown'}`;
  const out = field(text, 'Output file') ?? '';
  const m = out.match(/(workers|synthesis|stages|experts|scouts)\/([a-z0-9]+)\.md$/);
  if (!m) return 'unknown';
  return m[1] === 'synthesis' ? `coord-${m[2]}` : m[2];
}

/** A fault returns a Reply to override the simulated model, or undefined to let it answer. */
export type Fault = (req: ParsedRequest, ctx: HandlerContext, agent: string) => Reply | undefined | Promise<Reply | undefined>;

export interface Fake {
  server: MessagesServer;
  workspace: string;
  /** Agents in order of request arrival. */
  log: Array<{ agent: string; at: number }>;
  close(): Promise<void>;
}

export async function startFake(workspace: string, fault?: Fault, opts: Partial<MessagesServerOptions> = {}): Promise<Fake> {
  const log: Fake['log'] = [];
  const server = await startMessagesServer({
    ...opts,
    handler: async (req, ctx) => {
      const agent = agentOf(req);
      log.push({ agent, at: Date.now() });
      return (await fault?.(req, ctx, agent)) ?? simulate(req, workspace);
    },
  });
  return { server, workspace, log, close: () => server.close() };
}

/** Test config: fast backoff and short timeouts; any key can be overridden. */
export function testConfig(over: ConfigInput = {}) {
  return parseConfig({ retryBaseMs: 5, agentTimeoutMs: 20_000, requestTimeoutMs: 10_000, ...over });
}

export function orchestrator(fake: Fake, over: ConfigInput = {}): Orchestrator {
  return new Orchestrator({
    workspace: fake.workspace,
    config: testConfig(over),
    model: new AnthropicModelClient({ apiKey: 'test-key', baseUrl: fake.server.url }),
    promptsDir: PROMPTS,
    snapshotIntervalMs: 50,
  });
}

/** A planner reply with `domains` × `workers` workers over real files of the demo workspace. */
export function planReply(domains: number, workers: number, tiers: Array<'haiku' | 'sonnet' | 'opus'> = ['haiku', 'sonnet', 'opus']): Reply {
  const scopes = ['src/api/server.js', 'src/api/orders.js', 'src/auth/session.js', 'src/auth/passwords.js', 'src/db/client.js', 'src/db/migrations.js', 'src/utils/format.js', 'src/utils/retry.js', 'docs', 'test'];
  let k = 0;
  const plan = {
    summary: 'test plan',
    domains: Array.from({ length: domains }, (_, d) => {
      const id = String.fromCharCode(97 + d);
      return {
        id, name: `Domain ${id}`, brief: `Everything about area ${id} of the shop.`,
        workers: Array.from({ length: workers }, (_, w) => ({
          id: `${id}${w + 1}`, task: `Review part ${w + 1} of area ${id} for problems`,
          scope: [scopes[k++ % scopes.length]], tier: tiers[(d * workers + w) % tiers.length],
        })),
      };
    }),
  };
  return { kind: 'message', content: [{ type: 'tool_use', name: 'plan_fan_out', input: plan }] };
}

/** A worker reply that writes its file without the sentinel and says it is done. */
export function forgetfulWorker(req: ParsedRequest, workspace: string): Reply {
  const reply = simulate(req, workspace);
  if (reply.kind !== 'message') return reply;
  return {
    ...reply,
    content: reply.content.map((b) => (b.type === 'tool_use' && b.name === 'write_output'
      ? { ...b, input: { ...b.input, content: String(b.input.content).replace('<!-- DONE -->', '') } }
      : b)),
  };
}

/**
 * Runs the built CLI without blocking this process (the fake server answers it from here, which
 * spawnSync would stall); resolves with its exit code and output.
 */
export function cliAsync(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += String(d); });
  child.stderr.on('data', (d) => { stderr += String(d); });
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

export const readJson = <T = Record<string, unknown>>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;

/** The environment without a key, an endpoint or the test runner's loader flags: a CLI child that must find its own. */
export function keylessEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.ANTHROPIC_API_KEY;
  delete env.ANTHROPIC_BASE_URL;
  delete env.NODE_OPTIONS;
  return env;
}

/**
 * Adds `count` idle agents to a run's ledger.json, so `status` and `list` print far more than a
 * pipe holds (64 KB) and a writer meets a reader that closed early.
 */
export function padLedger(file: string, count: number): void {
  const snap = readJson<LedgerSnapshot>(file);
  const idle = { ...snap.agents[1], usage: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 }, costUsd: 0, requests: 0, toolCalls: 0 };
  snap.agents.push(...Array.from({ length: count }, (_, i) => ({ ...idle, id: `z${i}`, outputFile: `workers/z${i}.md` })));
  writeFileSync(file, JSON.stringify(snap));
}
