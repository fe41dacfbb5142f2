/**
 * Measure 4: 1,000 workers at zero latency. The engine runs in its own process (the server's CPU
 * is not counted); CPU per agent, peak RSS, and ledger bytes per agent at 250 and at 1,000 agents —
 * equal per-agent bytes mean the ledger grows linearly, not with agents × events.
 *
 * The 250- and 1,000-worker runs share one engine process, one after the other, as runs do in the
 * long-lived extension host: the 1,000-worker figure is then per-agent work, not the process's
 * one-time start-up (loading modules, V8 compiling the hot paths). A fresh process running the
 * same 1,000 workers, as the CLI does, is measured too and printed beside it.
 *
 * Each agent creates one file (its report), so the kernel's cost of creating a file is part of
 * the figure. It is probed before each 1,000-worker run and printed: on ext4 without a journal,
 * as on this machine, it grows tenfold for minutes after many files were deleted (see README).
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Tier } from '../../src/engine/types';
import { makePlan } from './fixture';
import { runEngine, withEngineProcess, type RunResult, type RunSpec } from './harness';
import { BenchModel } from './model';
import { fixed, kb, type MeasureResult } from './result';

const HAIKU_SONNET = (k: number): Tier => (k % 2 ? 'sonnet' : 'haiku');
const PROBE_FILES = 500;

function scaleSpec(workspace: string, domains: number, perDomain: number): RunSpec {
  const plan = makePlan({ domains: Array.from({ length: domains }, () => perDomain), tier: HAIKU_SONNET });
  return {
    workspace,
    // The plain simulator's workers here: coordinators of 40 padded reports would be sent 200k tokens.
    model: new BenchModel({ workspace, plan, realisticWorkers: false }),
    config: { domains: { min: 1, max: 26 }, workersPerDomain: { min: 1, max: 1000 } },
  };
}

let probes = 0;

/**
 * Time (ms) to create one small file by temp file + rename, as write_output does, in a new folder
 * of the workspace: nearly all of it kernel CPU, timed by the clock because the kernel's CPU
 * accounting is too coarse for a few milliseconds. The files stay until the workspace is removed:
 * deleting them would itself slow the next creations down.
 */
function fileCreationMs(workspace: string): number {
  // Under the output root, which the planner's workspace overview never walks.
  const dir = path.join(workspace, '.orchestration', 'bench-file-probe', String(++probes));
  mkdirSync(dir, { recursive: true });
  const text = 'a line of a report\n'.repeat(100);
  const t0 = performance.now();
  for (let i = 0; i < PROBE_FILES; i++) {
    const file = path.join(dir, `f${i}.md`);
    writeFileSync(`${file}.tmp`, text);
    renameSync(`${file}.tmp`, file);
  }
  return (performance.now() - t0) / PROBE_FILES;
}

const per = (r: RunResult) => {
  const n = r.figures.agents.length;
  return {
    agents: n,
    cpu: r.figures.cpuMs / n,
    user: (r.figures.cpuMs - r.figures.cpuSystemMs) / n,
    system: r.figures.cpuSystemMs / n,
    bytes: r.figures.bytesWritten / n,
    completed: r.figures.agents.filter((a) => a.status === 'completed').length,
    requests: r.figures.totals.requests / n,
  };
};

const cpuText = (p: ReturnType<typeof per>): string => `CPU ${fixed(p.cpu)} ms/agent (user ${fixed(p.user)}, system ${fixed(p.system)})`;

export async function measureScale(workspace: string): Promise<MeasureResult> {
  const coldFileMs = fileCreationMs(workspace);
  const cold = await runEngine(scaleSpec(workspace, 25, 40));
  const { small, large, warmFileMs } = await withEngineProcess(async (engine) => {
    const first = await engine.run(scaleSpec(workspace, 10, 25));
    const fileMs = fileCreationMs(workspace);
    return { small: first, warmFileMs: fileMs, large: await engine.run(scaleSpec(workspace, 25, 40)) };
  });
  const s = per(small);
  const l = per(large);
  const c = per(cold);
  const growth = l.bytes / s.bytes;
  // As many requests as the large run made, so the client is as warmed up as it was there.
  const client = await withEngineProcess((engine) => engine.probe(Math.round(l.requests * l.agents)));
  const allDone = s.completed === s.agents && l.completed === l.agents && c.completed === c.agents;
  return {
    rows: [
      { n: '4a', measure: '1,000 workers, zero latency: engine CPU per agent (warm engine process)', value: `${fixed(l.cpu)} ms (fresh process: ${fixed(c.cpu)} ms)`, before: '—', target: '< 8 ms', ok: allDone && l.cpu < 8 },
      { n: '4b', measure: '1,000 workers: engine peak RSS', value: `${fixed(large.figures.maxRssMb, 0)} MB`, before: '—', target: '< 200 MB', ok: large.figures.maxRssMb < 200 },
      { n: '4c', measure: 'ledger bytes per agent, 1,000 ÷ 250 agents', value: fixed(growth), before: '—', target: '≤ 1.25 (linear)', ok: growth <= 1.25 },
    ],
    raw: [
      `250 workers, then 1,000 in the same engine process (peak RSS covers both): ${s.completed} of ${s.agents} agents completed, ${Math.round(small.figures.wallMs)} ms, ${cpuText(s)}, ledger ${kb(small.figures.bytesWritten)} (${kb(s.bytes)}/agent); `
        + `${l.completed} of ${l.agents} completed, ${Math.round(large.figures.wallMs)} ms, ${cpuText(l)}, peak RSS ${fixed(large.figures.maxRssMb, 0)} MB, ledger ${kb(large.figures.bytesWritten)} (${kb(l.bytes)}/agent)`,
      `the same 1,000 workers in a fresh engine process, as the CLI runs them: ${c.completed} of ${c.agents} completed, ${Math.round(cold.figures.wallMs)} ms, ${cpuText(c)}, peak RSS ${fixed(cold.figures.maxRssMb, 0)} MB; `
        + `${fixed(c.user - l.user)} ms/agent more user CPU than in the warm process`,
      `the time to create a file in the workspace (each agent creates one, its report), probed on ${PROBE_FILES} files: ${fixed(coldFileMs, 3)} ms before the fresh-process run, ${fixed(warmFileMs, 3)} ms before the 1,000 in the same process`,
      'default caps (8 at once); CPU is user + system of the engine process over plan() and execute() of one run; the fake server runs in the parent process',
      `the model client alone (SDK stream, fetch, SSE parsing; ${Math.round(l.requests * l.agents)} sequential requests of ~5k tokens, after 50 to warm up) costs ${fixed(client.cpuMsPerRequest)} ms CPU per request `
        + `and reaches ${fixed(client.maxRssMb, 0)} MB peak RSS on this machine; at ${fixed(l.requests, 1)} requests per agent that is ${fixed(client.cpuMsPerRequest * l.requests, 1)} of the ${fixed(l.cpu)} ms per agent`,
    ],
  };
}
