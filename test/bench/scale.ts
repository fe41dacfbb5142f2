/**
 * Measure 4: 1,000 workers at zero latency. The engine runs in its own process (the server's CPU
 * is not counted); CPU per agent, peak RSS, and ledger bytes per agent at 250 and at 1,000 agents —
 * equal per-agent bytes mean the ledger grows linearly, not with agents × events.
 */
import type { Tier } from '../../src/engine/types';
import { makePlan } from './fixture';
import { probeClient, runEngine, type RunResult } from './harness';
import { BenchModel } from './model';
import { fixed, kb, type MeasureResult } from './result';

const HAIKU_SONNET = (k: number): Tier => (k % 2 ? 'sonnet' : 'haiku');

async function runScale(workspace: string, domains: number, perDomain: number): Promise<RunResult> {
  const plan = makePlan({ domains: Array.from({ length: domains }, () => perDomain), tier: HAIKU_SONNET });
  return runEngine({
    workspace,
    // The plain simulator's workers here: coordinators of 40 padded reports would be sent 200k tokens.
    model: new BenchModel({ workspace, plan, realisticWorkers: false }),
    config: { domains: { min: 1, max: 26 }, workersPerDomain: { min: 1, max: 1000 } },
  });
}

export async function measureScale(workspace: string): Promise<MeasureResult> {
  const small = await runScale(workspace, 10, 25);
  const large = await runScale(workspace, 25, 40);
  const per = (r: RunResult) => ({
    agents: r.figures.agents.length,
    cpu: r.figures.cpuMs / r.figures.agents.length,
    bytes: r.figures.bytesWritten / r.figures.agents.length,
    completed: r.figures.agents.filter((a) => a.status === 'completed').length,
    requests: r.figures.totals.requests / r.figures.agents.length,
  });
  const s = per(small);
  const l = per(large);
  const growth = l.bytes / s.bytes;
  // As many requests as the large run made, so the client is as warmed up as it was there.
  const client = await probeClient(Math.round(l.requests * l.agents));
  const allDone = s.completed === s.agents && l.completed === l.agents;
  return {
    rows: [
      { n: '4a', measure: '1,000 workers, zero latency: engine CPU per agent', value: `${fixed(l.cpu)} ms`, before: '—', target: '< 5 ms', ok: allDone && l.cpu < 5 },
      { n: '4b', measure: '1,000 workers: engine peak RSS', value: `${fixed(large.figures.maxRssMb, 0)} MB`, before: '—', target: '< 200 MB', ok: large.figures.maxRssMb < 200 },
      { n: '4c', measure: 'ledger bytes per agent, 1,000 ÷ 250 agents', value: fixed(growth), before: '—', target: '≤ 1.25 (linear)', ok: growth <= 1.25 },
    ],
    raw: [
      `250 workers: ${s.agents} agents, ${s.completed} completed, ${Math.round(small.figures.wallMs)} ms, CPU ${fixed(s.cpu)} ms/agent, peak RSS ${fixed(small.figures.maxRssMb, 0)} MB, ledger ${kb(small.figures.bytesWritten)} (${kb(s.bytes)}/agent)`,
      `1,000 workers: ${l.agents} agents, ${l.completed} completed, ${Math.round(large.figures.wallMs)} ms, CPU ${fixed(l.cpu)} ms/agent, peak RSS ${fixed(large.figures.maxRssMb, 0)} MB, ledger ${kb(large.figures.bytesWritten)} (${kb(l.bytes)}/agent)`,
      'default caps (8 at once); CPU is user + system of the engine process over plan() and execute(); the fake server runs in the parent process',
      `the model client alone (SDK stream, fetch, SSE parsing; ${Math.round(l.requests * l.agents)} sequential requests of ~5k tokens) costs ${fixed(client.cpuMsPerRequest)} ms CPU per request `
        + `and reaches ${fixed(client.maxRssMb, 0)} MB peak RSS on this machine; at ${fixed(l.requests, 1)} requests per agent that is ${fixed(client.cpuMsPerRequest * l.requests, 1)} of the ${fixed(l.cpu)} ms per agent`,
    ],
  };
}
