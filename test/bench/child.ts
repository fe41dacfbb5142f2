/**
 * The engine side of a bench run, in its own process: the fake server stays in the parent, so the
 * CPU time and peak RSS measured here are the engine's alone (process.cpuUsage counts every thread
 * of a process, so a worker thread would not separate them).
 *
 * Protocol, repeated until the parent says exit: parent → {scenario}; child plans → {planned};
 * parent resets the server's counters → {go}; child executes → {done, figures}. Or parent → {probe}
 * → {probed}. Then parent → {exit}.
 */
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';
import { AnthropicModelClient } from '../../src/engine/model/anthropic';
import { parseConfig, type ConfigInput } from '../../src/engine/config';
import type { ModelRequest } from '../../src/engine/model/client';
import { Orchestrator } from '../../src/engine/orchestrator';
import type { PatternChoice } from '../../src/engine/patterns/registry';
import type { AgentRecord, BatchRecord, CostEstimate, RunStatus, RunTotals } from '../../src/engine/types';

export interface Scenario {
  baseUrl: string;
  workspace: string;
  promptsDir: string;
  task: string;
  pattern?: PatternChoice;
  config: ConfigInput;
}

export type AgentFigure = Pick<AgentRecord, 'id' | 'role' | 'domain' | 'tier' | 'status' | 'attempts' | 'requests' | 'usage' | 'costUsd' | 'error' | 'outputFile' | 'batch'>;

export interface EngineFigures {
  status: RunStatus;
  reason: string | null;
  runDir: string;
  /** Wall time of execute(), ms. */
  wallMs: number;
  /** Engine CPU (user + system) over plan() and execute(), ms. */
  cpuMs: number;
  /** The system (kernel) part of cpuMs. */
  cpuSystemMs: number;
  /** Peak resident set of the engine process, MB. */
  maxRssMb: number;
  bytesWritten: number;
  totals: RunTotals;
  estimate: CostEstimate | null;
  agents: AgentFigure[];
  /** Batch mode: every batch the run submitted, as the ledger recorded it. */
  batches: BatchRecord[];
  peakRequestsByModel: Record<string, number>;
}

export type ToChild = { type: 'scenario'; scenario: Scenario } | { type: 'probe'; baseUrl: string; requests: number } | { type: 'go' } | { type: 'exit' };
export type FromChild =
  | { type: 'planned' }
  | { type: 'done'; figures: EngineFigures }
  | { type: 'probed'; cpuMsPerRequest: number; maxRssMb: number }
  | { type: 'error'; message: string };

const send = (m: FromChild): Promise<void> => new Promise((resolve) => process.send!(m, () => resolve()));

function next(): Promise<ToChild> {
  return new Promise((resolve) => process.once('message', (m) => resolve(m as ToChild)));
}

/** Does what the parent asks, one request at a time, until it says exit. */
export async function childMain(): Promise<void> {
  memoryTrace();
  for (;;) {
    const m = await next();
    try {
      if (m.type === 'exit') break;
      if (m.type === 'probe') await send({ type: 'probed', cpuMsPerRequest: await probe(m.baseUrl, m.requests), maxRssMb: process.resourceUsage().maxRSS / 1024 });
      else if (m.type === 'scenario') await send({ type: 'done', figures: await runScenario(m.scenario) });
      else throw new Error(`expected a scenario, a probe or exit, got ${m.type}`);
    } catch (err) {
      await send({ type: 'error', message: err instanceof Error ? err.stack ?? err.message : String(err) });
      break;
    }
  }
  process.exit(0);
}

/**
 * Profiling switch: BENCH_MEM_TRACE=<ms> prints the engine process's memory to stderr every <ms>:
 * RSS, peak RSS, the V8 heap by space (committed/used MB) and external memory.
 */
function memoryTrace(): void {
  const every = Number(process.env.BENCH_MEM_TRACE);
  if (!(every > 0)) return;
  const t0 = Date.now();
  const mb = (n: number): string => (n / 1048576).toFixed(0);
  setInterval(() => {
    const m = process.memoryUsage();
    const spaces = getHeapSpaceStatistics().filter((x) => x.space_size > 0).map((x) => `${x.space_name.replace('_space', '')}=${mb(x.space_size)}/${mb(x.space_used_size)}`);
    process.stderr.write(`mem ${process.pid} +${Date.now() - t0} ms: rss ${mb(m.rss)} peak ${mb(process.resourceUsage().maxRSS * 1024)} heap ${mb(m.heapTotal)}/${mb(m.heapUsed)} external ${mb(m.external)} ${spaces.join(' ')}\n`);
  }, every).unref();
}

/**
 * Profiling switch: BENCH_HEAP_SAMPLE=<dir> writes a sampling heap profile of execute() that
 * includes objects already collected (every allocation site, not only what is live at the end).
 * With BENCH_HEAP_PROMOTED=1 as well, only objects that outlived young-generation GCs are counted
 * (plus those the young generation held at a full GC): where the old generation's growth comes from.
 */
async function heapSampler(): Promise<((file: string) => Promise<void>) | null> {
  const dir = process.env.BENCH_HEAP_SAMPLE;
  if (!dir) return null;
  const { Session } = await import('node:inspector');
  const { writeFileSync } = await import('node:fs');
  const session = new Session();
  session.connect();
  const post = (m: string, p?: object): Promise<unknown> => new Promise((resolve, reject) => session.post(m, p ?? {}, (err, r) => (err ? reject(err) : resolve(r))));
  await post('HeapProfiler.startSampling', { samplingInterval: 32768, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: !process.env.BENCH_HEAP_PROMOTED });
  return async (name) => {
    const r = await post('HeapProfiler.stopSampling') as { profile: unknown };
    writeFileSync(`${dir}/${name}-${process.pid}.heapprofile`, JSON.stringify(r.profile));
    session.disconnect();
  };
}

/**
 * Profiling switch: BENCH_HEAP_SNAPSHOT=<dir> writes a heap snapshot after each execute(), taken
 * after a full GC (what stays live: V8 sizes the old generation as a multiple of it).
 */
function heapSnapshot(name: string): void {
  const dir = process.env.BENCH_HEAP_SNAPSHOT;
  if (dir) writeHeapSnapshot(`${dir}/${name}-${process.pid}-${Date.now()}.heapsnapshot`);
}

async function runScenario(s: Scenario): Promise<EngineFigures> {
  const cpu0 = process.cpuUsage();
  const orchestrator = new Orchestrator({
    workspace: s.workspace,
    config: parseConfig(s.config, 'bench config'),
    model: new AnthropicModelClient({ apiKey: 'bench', baseUrl: s.baseUrl }),
    promptsDir: s.promptsDir,
    simulated: true,
  });
  const run = await orchestrator.plan({ task: s.task, ...(s.pattern ? { pattern: s.pattern } : {}) });
  const cpuPlan = process.cpuUsage(cpu0);
  await send({ type: 'planned' });
  const go = await next();
  if (go.type !== 'go') throw new Error(`expected go, got ${go.type}`);
  const stopHeapSampler = await heapSampler();
  const cpu1 = process.cpuUsage();
  const outcome = await run.execute();
  const cpuExec = process.cpuUsage(cpu1);
  await stopHeapSampler?.('execute');
  heapSnapshot('execute');
  const snap = run.ledger.snapshot();
  return {
    status: outcome.status,
    reason: outcome.reason,
    runDir: run.dir,
    wallMs: outcome.totals.wallMs,
    cpuMs: (cpuPlan.user + cpuPlan.system + cpuExec.user + cpuExec.system) / 1000,
    cpuSystemMs: (cpuPlan.system + cpuExec.system) / 1000,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    bytesWritten: run.ledger.bytesWritten,
    totals: outcome.totals,
    estimate: snap.estimate,
    agents: snap.agents.map((a) => ({
      id: a.id, role: a.role, domain: a.domain, tier: a.tier, status: a.status, attempts: a.attempts,
      requests: a.requests, usage: a.usage, costUsd: a.costUsd, error: a.error, outputFile: a.outputFile, ...(a.batch ? { batch: true } : {}),
    })),
    batches: snap.batches ?? [],
    peakRequestsByModel: run.lastStats?.peakRequestsByModel ?? {},
  };
}

/**
 * CPU per streamed request of the model client alone (SDK, fetch, SSE parsing), on a request the
 * size of a worker's mid-run turn: the floor under the engine's CPU per agent.
 */
async function probe(baseUrl: string, requests: number): Promise<number> {
  const client = new AnthropicModelClient({ apiKey: 'bench', baseUrl });
  const req = (): ModelRequest => ({
    model: 'claude-haiku-5-5', maxTokens: 1024, signal: new AbortController().signal, timeoutMs: 30_000,
    system: [{ type: 'text', text: 'You are a probe.' }],
    messages: [{ role: 'user', content: [{ type: 'text', text: 'const x = 1; // a line of a source file\n'.repeat(500) }] }],
  });
  for (let i = 0; i < 50; i++) await client.create(req());
  const t0 = process.cpuUsage();
  for (let i = 0; i < requests; i++) await client.create(req());
  const t = process.cpuUsage(t0);
  return (t.user + t.system) / 1000 / requests;
}
