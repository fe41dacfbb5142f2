/**
 * Measure 7: how long the engine's workspace walks block the event loop, which in VS Code is the
 * extension host every other extension shares. Over generated monorepos of 20,000 and 100,000
 * files (bigWorkspace.ts), two phases are timed with `perf_hooks.monitorEventLoopDelay`:
 * planning (the planner's workspace overview and the scope checks of a 40-worker plan), and 8
 * agents at once listing, searching and reading through the real worker tools.
 *
 * Runs in the bench's own process, where nothing else runs meanwhile, so every delay recorded is
 * the engine's (and the garbage collector's on its behalf).
 */
import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import * as path from 'node:path';
import { scopeExistsSync, workspaceOverview } from '../../src/engine/plan/workspace';
import { executeTool, type ToolContext } from '../../src/engine/tools/tools';
import { bigWorkspace, pkgName, type BigWorkspace } from './bigWorkspace';
import { type MeasureResult, type Row } from './result';

const SIZES = [20_000, 100_000] as const;
const AGENTS = 8;
const TARGET_MS = 50;

export interface Delay {
  /** Longest stretch the main thread spent running without the loop getting a turn, ms. */
  maxMs: number;
  p99Ms: number;
  /** The same by the wall clock (perf_hooks.monitorEventLoopDelay): includes waits for a CPU. */
  wallMaxMs: number;
  wallP99Ms: number;
  wallMs: number;
}

/**
 * Main-thread CPU time in ns from the scheduler's own accounting (Linux), or null elsewhere. On a
 * busy machine a timer also runs late while the process waits for a CPU; only the time the main
 * thread actually ran is a block the engine caused.
 */
function threadCpuNs(): number | null {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]);
  } catch {
    return null;
  }
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : 0;
}

/**
 * Runs `f` under two probes: perf_hooks.monitorEventLoopDelay (1 ms resolution, wall clock), and a
 * 1 ms interval that charges each late tick with the main thread's CPU time over the gap, so a
 * block is what the thread did, not how long the machine made it wait.
 */
export async function delayOf(f: () => Promise<void>): Promise<Delay> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  const blocks: number[] = [];
  let last = performance.now();
  let lastCpu = threadCpuNs();
  const sample = (): void => {
    const now = performance.now();
    const cpu = threadCpuNs();
    const gap = Math.max(0, now - last - 1);
    blocks.push(cpu !== null && lastCpu !== null ? Math.min(gap, (cpu - lastCpu) / 1e6) : gap);
    last = now;
    lastCpu = cpu;
  };
  const t0 = performance.now();
  h.enable();
  // The interval probe also covers a block that lasts the whole phase, which the histogram would
  // only record once its timer runs again.
  const tick = setInterval(sample, 1);
  try {
    await f();
  } finally {
    sample();
    clearInterval(tick);
    h.disable();
  }
  const wallMs = performance.now() - t0;
  blocks.sort((a, b) => a - b);
  return {
    maxMs: blocks[blocks.length - 1] ?? 0, p99Ms: percentile(blocks, 99),
    wallMaxMs: Math.max(h.count ? h.max / 1e6 : 0, blocks[blocks.length - 1] ?? 0), wallP99Ms: h.count ? h.percentile(99) / 1e6 : wallMs, wallMs,
  };
}

async function planning(ws: BigWorkspace): Promise<string> {
  const overview = await workspaceOverview(ws.root, { outputRoot: '.orchestration' });
  const exists = scopeExistsSync(ws.root, '.orchestration');
  const missing = ws.scopes.filter((s) => !exists(s));
  if (missing.length) throw new Error(`bench scopes missing from the generated workspace: ${missing.join(', ')}`);
  return overview.split('\n')[0];
}

/** What one agent does: the calls a haiku inventory worker typically makes. */
async function agent(ws: BigWorkspace, i: number): Promise<number> {
  const ctx: ToolContext = {
    workspace: ws.root, outputRoot: '.orchestration', ownOutputFile: path.join(ws.root, '.orchestration', 'bench', `a${i}.md`), readOnly: true,
  };
  const pkg = `packages/${pkgName((i * 37) % ws.packages)}`;
  const calls: Array<[string, Record<string, unknown>]> = [
    ['list_files', {}],
    ['list_files', { path: 'packages' }],
    ['list_files', { path: pkg, glob: '**/*.ts' }],
    ['search', { pattern: 'TODO', glob: `${pkg}/**/*.ts` }],
    // Across the whole workspace: every folder walked, one source file in twenty read.
    ['search', { pattern: `needle-${(i * 37) % ws.packages}-3-`, glob: `file0${i % 10}.ts` }],
    ['search', { pattern: 'fn[0-9]\\(input', regex: true, glob: `${pkg}/src/mod0*/*.ts` }],
    ...[0, 1, 2].map((m): [string, Record<string, unknown>] => ['read_file', { path: `${pkg}/src/mod0${m}/file0${m}.ts` }]),
  ];
  let errors = 0;
  for (const [name, input] of calls) {
    const r = await executeTool(name, input, ctx);
    if (r.isError) errors++;
  }
  return errors;
}

export async function measureEventLoop(): Promise<MeasureResult> {
  const rows: Row[] = [];
  const raw: string[] = [];
  for (const [k, size] of SIZES.entries()) {
    const t0 = performance.now();
    const ws = bigWorkspace(size);
    const madeMs = performance.now() - t0;
    let header = '';
    const plan = await delayOf(async () => {
      header = await planning(ws);
    });
    let errors = 0;
    const agents = await delayOf(async () => {
      errors = (await Promise.all(Array.from({ length: AGENTS }, (_, i) => agent(ws, i)))).reduce((a, b) => a + b, 0);
    });
    const label = `${(ws.files / 1000).toFixed(0)}k files`;
    const value = (d: Delay): string => `longest ${Math.round(d.maxMs)} ms, p99 ${Math.round(d.p99Ms)} ms`;
    rows.push(
      { n: `7${'ab'[k]}`, measure: `event-loop block, planning (overview + 40 scope checks), ${label}`, value: value(plan), before: '—', target: `≤ ${TARGET_MS} ms`, ok: plan.maxMs <= TARGET_MS },
      { n: `7${'cd'[k]}`, measure: `event-loop block, ${AGENTS} agents list + search + read at once, ${label}`, value: value(agents), before: '—', target: `≤ ${TARGET_MS} ms`, ok: agents.maxMs <= TARGET_MS && errors === 0 },
    );
    const wall = (d: Delay): string => `by the wall clock longest ${Math.round(d.wallMaxMs)} ms, p99 ${Math.round(d.wallP99Ms)} ms`;
    raw.push(
      `${label}: planning ${wall(plan)}; agents ${wall(agents)} (load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores)`,
      `${label} (${ws.packages} packages under ${ws.root}${madeMs > 1000 ? `, generated in ${(madeMs / 1000).toFixed(1)} s` : ', reused'}): planning took ${Math.round(plan.wallMs)} ms ("${header}"); `
        + `${AGENTS} agents × 9 tool calls took ${Math.round(agents.wallMs)} ms${errors ? `, ${errors} calls FAILED` : ''}`,
    );
  }
  raw.push('measure 7 runs in the bench process; a block is a late tick of a 1 ms interval, charged with the main thread\'s CPU time over the gap (/proc/thread-self/schedstat; GC pauses included), so waits for a CPU on a busy machine do not count; the wall-clock figures above include them');
  return { rows, raw };
}
