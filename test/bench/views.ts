/**
 * Measure 10: what the live views cost the extension host, and what transcripts cost on disk.
 *
 * The agent views and the dashboard are driven here through the same pure pieces the panels use
 * (agentModel, EntryBatcher, dashboardModel and the zod protocols, with each post serialised as
 * postMessage would), in the bench's own process, without VS Code:
 *  - 10a–c: 8 agents stream text token by token (50 deltas a second each, a tool call and its
 *    result every 2 s) into 8 open agent views and the dashboard, for 10 s;
 *  - 10d: a real run over the fake Messages API at latency (24 workers, 8 at once) with views
 *    open on the first 8 agents and the dashboard, against the same run with no view open;
 *  - 10e: transcript bytes per agent of 250- and 1,000-worker runs (engine process, zero latency).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { AnthropicModelClient, Orchestrator, parseConfig, type AgentRecord, type EngineEvent, type LedgerSnapshot, type Run, type TranscriptEntry } from '../../src/engine';
import { AgentHostMessageSchema } from '../../src/shared/agentProtocol';
import { DashboardHostMessageSchema } from '../../src/shared/dashboardProtocol';
import { startMessagesServer } from '../../src/simulator/server';
import { agentHeader, ShownTranscript } from '../../src/vscode/panels/agent/agentModel';
import { buildDashboard, TransitionLog } from '../../src/vscode/panels/dashboard/dashboardModel';
import type { RunHead } from '../../src/vscode/runs/runStore';
import { BATCH_INTERVAL_MS, EntryBatcher } from '../../src/vscode/panels/agent/transcriptBatch';
import { delayOf, type Delay } from './eventLoop';
import { makePlan, MIXED_TIERS, TASK } from './fixture';
import { runEngine } from './harness';
import { BenchModel } from './model';
import { fixed, kb, type MeasureResult } from './result';

const VIEWS = 8;
const STREAM_SECONDS = 10;
const DELTAS_PER_SECOND = 50;
/** The views may take this share of one core while 8 agents stream: the rest is the host's. */
const CPU_TARGET_MS_PER_S = 50;
/** A block longer than a frame would be felt as a stutter in every other extension. */
const BLOCK_TARGET_MS = 16;

/** Thread CPU spent inside view code, summed (process.cpuUsage around each call). */
class Meter {
  cpuUs = 0;
  longestUs = 0;
  run<T>(f: () => T): T {
    const t0 = process.cpuUsage();
    try {
      return f();
    } finally {
      const d = process.cpuUsage(t0);
      const us = d.user + d.system;
      this.cpuUs += us;
      this.longestUs = Math.max(this.longestUs, us);
    }
  }
}

/** One open agent view as the extension host runs it: dedupe, view entries, batching, validation, serialisation. */
class BenchAgentView {
  private readonly shown = new ShownTranscript();
  private readonly batcher: EntryBatcher;
  posts = 0;
  bytes = 0;

  constructor(private readonly head: () => RunHead, private readonly agent: () => AgentRecord, private readonly meter: Meter) {
    this.batcher = new EntryBatcher((entries) => meter.run(() => {
      const msg = { type: 'append' as const, header: agentHeader(this.head(), this.agent(), { executingHere: true, following: false, written: true }), entries };
      const checked = AgentHostMessageSchema.safeParse(msg);
      if (!checked.success) throw new Error(`bench: an agent view message did not validate: ${checked.error.message}`);
      this.bytes += JSON.stringify(checked.data).length;
      this.posts++;
    }));
  }

  accept(entry: TranscriptEntry): void {
    this.meter.run(() => {
      const view = this.shown.accept(entry);
      if (view) this.batcher.push(view);
    });
  }

  close(): void { this.batcher.flush(); this.batcher.dispose(); }
}

/** The dashboard: transitions from events, a state built, validated and serialised once a second. */
class BenchDashboard {
  private readonly transitions = new TransitionLog();
  private readonly timer: NodeJS.Timeout;
  posts = 0;
  bytes = 0;

  constructor(snapshot: () => LedgerSnapshot, private readonly meter: Meter) {
    this.timer = setInterval(() => meter.run(() => {
      const view = buildDashboard(snapshot(), undefined, this.transitions, { now: Date.now() });
      const checked = DashboardHostMessageSchema.safeParse({ type: 'state', view, note: null });
      if (!checked.success) throw new Error(`bench: a dashboard message did not validate: ${checked.error.message}`);
      this.bytes += JSON.stringify(checked.data).length;
      this.posts++;
    }), 1000);
  }

  event(e: EngineEvent): void { this.meter.run(() => this.transitions.add(e)); }
  close(): void { clearInterval(this.timer); }
}

interface Streamed { meter: Meter; delay: Delay; wallMs: number; posts: number; bytes: number; entries: number; dashboardPosts: number }

/** 10a–c: synthetic token streams, so the view path alone is measured at a known rate. */
async function streamSynthetic(): Promise<Streamed> {
  const meter = new Meter();
  const t = () => new Date().toISOString();
  const agents = Array.from({ length: VIEWS }, (_, i) => ({
    id: `a${i + 1}`, role: 'worker', domain: 'a', tier: 'haiku', task: `Stream ${i + 1}`, scope: ['src'], dependsOn: [], modelRequested: 'claude-haiku-5-5', modelReported: 'claude-haiku-5-5',
    status: 'running', attempts: 1, queuedAt: t(), startedAt: t(), endedAt: null, usage: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 }, costUsd: 0, requests: 1, toolCalls: 0,
    outputFile: `workers/a${i + 1}.md`, returned: null, returnTokens: 0, error: null,
  } satisfies AgentRecord));
  const head: RunHead = { runId: 'bench', task: TASK, status: 'running', simulated: true, groups: [{ id: 'a', label: 'A' }], pattern: 'fan-out' };
  const snap = (): LedgerSnapshot => ({
    version: 1, runId: 'bench', task: TASK, workspace: '/bench', simulated: true, status: 'running', reason: null, createdAt: t(), updatedAt: t(), startedAt: t(), endedAt: null, pid: null,
    estimate: null, gaps: [], agents: structuredClone(agents), groups: head.groups, pattern: 'fan-out',
    totals: { agentsByStatus: { pending: 0, queued: 0, running: VIEWS, verifying: 0, retrying: 0, completed: 0, failed: 0, cancelled: 0, skipped: 0 }, usage: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 }, costUsd: 0, costByModel: {}, requests: 0, toolCalls: 0, parentContextTokens: 0, flatBaselineTokens: 0, wallMs: 0 },
  });
  const views = agents.map((a) => new BenchAgentView(() => head, () => a, meter));
  const dashboard = new BenchDashboard(snap, meter);
  let seq = 0;
  agents.forEach((a) => dashboard.event({ seq: ++seq, t: t(), type: 'agent', id: a.id, status: 'running' }));
  let entries = 0;
  const t0 = performance.now();
  const delay = await delayOf(async () => {
    const ticks = STREAM_SECONDS * DELTAS_PER_SECOND;
    for (let k = 0; k < ticks; k++) {
      await new Promise((r) => setTimeout(r, 1000 / DELTAS_PER_SECOND));
      views.forEach((v, i) => {
        v.accept({ t: t(), attempt: 1, type: 'text_delta', text: ` token${k}` });
        entries++;
        if (k % (2 * DELTAS_PER_SECOND) === 2 * DELTAS_PER_SECOND - 1) {
          v.accept({ t: t(), attempt: 1, type: 'text', text: `Reasoning of agent ${i} up to token ${k}.` });
          v.accept({ t: t(), attempt: 1, type: 'tool_call', id: `tu${i}-${k}`, name: 'read_file', input: { path: `src/file${k}.ts` } });
          v.accept({ t: t(), attempt: 1, type: 'tool_result', id: `tu${i}-${k}`, ok: true, excerpt: 'export const x = 1;\n'.repeat(40), bytes: 4000 });
          entries += 3;
        }
      });
    }
  });
  const wallMs = performance.now() - t0;
  views.forEach((v) => v.close());
  dashboard.close();
  return { meter, delay, wallMs, posts: views.reduce((n, v) => n + v.posts, 0), bytes: views.reduce((n, v) => n + v.bytes, 0), entries, dashboardPosts: dashboard.posts };
}

interface RealRun { cpuMs: number; wallMs: number; delay: Delay; meter: Meter | null; posts: number; status: string }

/** 10d: a run over the fake API at latency, with the first 8 agents' views and the dashboard open (or none). */
async function realRun(workspace: string, withViews: boolean): Promise<RealRun> {
  const plan = makePlan({ domains: [8, 8, 8], tier: MIXED_TIERS });
  const model = new BenchModel({ workspace, plan, realisticWorkers: true, latency: { seed: 'views', medianMs: 300, sigma: 0.5 } });
  const server = await startMessagesServer({ handler: model.handler, ...(model.latencyMs ? { latencyMs: model.latencyMs } : {}) });
  try {
    const orchestrator = new Orchestrator({
      workspace, config: parseConfig({ domains: { min: 1, max: 26 }, workersPerDomain: { min: 1, max: 1000 } }),
      model: new AnthropicModelClient({ apiKey: 'bench', baseUrl: server.url }), promptsDir: path.join(__dirname, '..', 'prompts'), simulated: true,
    });
    const run: Run = await orchestrator.plan({ task: TASK, pattern: 'fan-out' });
    const meter = withViews ? new Meter() : null;
    const views = new Map<string, BenchAgentView>();
    const subs: Array<{ dispose(): void }> = [];
    let dashboard: BenchDashboard | null = null;
    if (meter) {
      const head = (): RunHead => ({ runId: run.id, task: run.plan.task, status: run.ledger.status, simulated: true, groups: [...run.ledger.groups], pattern: run.plan.pattern });
      dashboard = new BenchDashboard(() => run.ledger.snapshot(), meter);
      const d = dashboard;
      subs.push(run.ledger.onDidChange((e) => d.event(e)));
      subs.push(run.onDidTranscript(({ agentId, entry }) => {
        let view = views.get(agentId);
        if (!view && views.size < VIEWS && agentId !== 'planner') {
          view = new BenchAgentView(head, () => run.ledger.get(agentId)!, meter);
          views.set(agentId, view);
        }
        view?.accept(entry);
      }));
    }
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let status = '';
    const delay = await delayOf(async () => { status = (await run.execute()).status; });
    const cpu = process.cpuUsage(cpu0);
    for (const s of subs) s.dispose();
    dashboard?.close();
    for (const v of views.values()) v.close();
    return { cpuMs: (cpu.user + cpu.system) / 1000, wallMs: performance.now() - t0, delay, meter, posts: [...views.values()].reduce((n, v) => n + v.posts, 0), status };
  } finally {
    await server.close();
  }
}

/** Bytes of every file under a run's transcripts folder (prompts stored once by hash included). */
async function transcriptBytes(runDir: string): Promise<{ bytes: number; files: number }> {
  let bytes = 0;
  let files = 0;
  const walk = async (dir: string): Promise<void> => {
    for (const e of await fs.readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else { bytes += (await fs.stat(p)).size; files++; }
    }
  };
  await walk(path.join(runDir, 'transcripts'));
  return { bytes, files };
}

async function transcriptsAt(workspace: string, domains: number, perDomain: number) {
  const plan = makePlan({ domains: Array.from({ length: domains }, () => perDomain), tier: (k) => (k % 2 ? 'sonnet' : 'haiku') });
  const r = await runEngine({
    workspace, model: new BenchModel({ workspace, plan, realisticWorkers: true }),
    config: { domains: { min: 1, max: 26 }, workersPerDomain: { min: 1, max: 1000 } },
  });
  const t = await transcriptBytes(r.figures.runDir);
  const agents = r.figures.agents.length;
  return { agents, ...t, perAgent: t.bytes / agents, completed: r.figures.agents.filter((a) => a.status === 'completed').length };
}

export async function measureViews(workspace: string): Promise<MeasureResult> {
  const s = await streamSynthetic();
  const seconds = s.wallMs / 1000;
  const cpuPerS = s.meter.cpuUs / 1000 / seconds;
  const postsPerViewS = s.posts / VIEWS / seconds;
  const base = await realRun(workspace, false);
  const live = await realRun(workspace, true);
  const viewMsPerS = (live.meter?.cpuUs ?? 0) / 1000 / (live.wallMs / 1000);
  const addedPerS = (live.cpuMs - base.cpuMs) / (live.wallMs / 1000);
  const small = await transcriptsAt(workspace, 10, 25);
  const large = await transcriptsAt(workspace, 25, 40);
  const growth = large.perAgent / small.perAgent;
  return {
    rows: [
      { n: '10a', measure: `${VIEWS} agents streaming into ${VIEWS} open agent views + the dashboard: host CPU in the view code`, value: `${fixed(cpuPerS, 1)} ms per second`, before: '—', target: `< ${CPU_TARGET_MS_PER_S} ms/s`, ok: cpuPerS < CPU_TARGET_MS_PER_S },
      { n: '10b', measure: 'the same: longest event-loop block (any cause) / longest single view step', value: `${Math.round(s.delay.maxMs)} ms / ${fixed(s.meter.longestUs / 1000, 1)} ms`, before: '—', target: `≤ ${BLOCK_TARGET_MS} ms`, ok: s.delay.maxMs <= BLOCK_TARGET_MS },
      { n: '10c', measure: 'posts per agent view per second while it streams', value: fixed(postsPerViewS, 1), before: '—', target: `≤ ${Math.round(1000 / BATCH_INTERVAL_MS)}`, ok: postsPerViewS <= 1000 / BATCH_INTERVAL_MS + 0.5 },
      { n: '10d', measure: `real run at latency (24 workers, 8 at once), ${VIEWS} agent views + dashboard open: CPU in the view code / longest block`, value: `${fixed(viewMsPerS, 1)} ms/s / ${Math.round(live.delay.maxMs)} ms (no view open: ${Math.round(base.delay.maxMs)} ms)`, before: '—', target: `< ${CPU_TARGET_MS_PER_S} ms/s, ≤ ${BLOCK_TARGET_MS} ms`, ok: viewMsPerS < CPU_TARGET_MS_PER_S && live.delay.maxMs <= BLOCK_TARGET_MS },
      { n: '10e', measure: 'transcript bytes per agent, 1,000 workers (and 1,000 ÷ 250 per agent)', value: `${kb(large.perAgent)} (${fixed(growth)})`, before: '—', target: '≤ 1.25 (linear)', ok: growth <= 1.25 && large.completed === large.agents },
    ],
    raw: [
      `synthetic streams: ${VIEWS} agents × ${DELTAS_PER_SECOND} deltas/s for ${fixed(seconds, 1)} s (${s.entries} entries): views ${fixed(s.meter.cpuUs / 1000, 0)} ms CPU, ${s.posts} posts (${kb(s.bytes)} serialised, ${kb(s.bytes / seconds)}/s), dashboard ${s.dashboardPosts} posts; event loop p99 ${fixed(s.delay.p99Ms, 1)} ms, wall-clock longest ${Math.round(s.delay.wallMaxMs)} ms`,
      `real run at latency: ${live.status} in ${Math.round(live.wallMs)} ms with views (process CPU ${Math.round(live.cpuMs)} ms, of which views ${fixed((live.meter?.cpuUs ?? 0) / 1000, 0)} ms, ${live.posts} posts) vs ${base.status} in ${Math.round(base.wallMs)} ms without (process CPU ${Math.round(base.cpuMs)} ms): ${fixed(addedPerS, 1)} ms/s more process CPU with views (engine, simulator server and views share this process; the difference is noisy)`,
      `transcripts: ${small.agents} agents ${kb(small.bytes)} in ${small.files} files (${kb(small.perAgent)}/agent); ${large.agents} agents ${kb(large.bytes)} in ${large.files} files (${kb(large.perAgent)}/agent); ${large.completed} of ${large.agents} completed`,
      'measure 10 drives the views\' pure code (agentModel, EntryBatcher, dashboardModel, zod protocols, JSON serialisation) in the bench process; VS Code\'s own postMessage and the webview\'s rendering are not included',
    ],
  };
}
