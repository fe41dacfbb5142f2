/**
 * Measures 1 and 2: continuous scheduling against the makespan lower bound, and waves against
 * continuous, on the same per-request latencies (keyed by agent and turn, so both modes get
 * identical work). Several seeds; the ratios are of the sums, and each seed is listed.
 */
import type { ConfigInput } from '../../src/engine/config';
import { makePlan, MIXED_TIERS } from './fixture';
import { runEngine, type RunResult } from './harness';
import { lowerBound, type Caps, type LowerBound } from './lowerBound';
import { BenchModel, type LatencyModel } from './model';
import { fixed, ms, type MeasureResult } from './result';

export const FANOUT = [8, 8, 7, 7];

/**
 * Caps of this measure. With 24 agents at once, 6 of the 30 workers queue, so the cap matters,
 * yet a scheduler that does not know latencies in advance can still get near the bound. At the
 * default 8 the bound itself is out of reach for such a scheduler (see the raw figures).
 */
export const SCHED_CAPS: Caps = { maxConcurrent: 24, tierCaps: { haiku: 16, sonnet: 16, opus: 8 } };
/** Latency seeds; BENCH_SEEDS=s4,s5,… reruns the measure on others. */
const SEEDS = process.env.BENCH_SEEDS?.split(',') ?? ['s1', 's2', 's3'];
/** The product's defaults, run once for the raw figures. */
const DEFAULT_CAPS: Caps = { maxConcurrent: 8, tierCaps: { haiku: 12, sonnet: 8, opus: 4 } };
const LATENCY = { medianMs: 250, sigma: 1.0 };

export interface SeedFigures {
  seed: string;
  continuous: RunResult;
  waves: RunResult;
  bound: LowerBound;
  /** Σ served latency of the waves run ÷ the continuous run's (1 when the work was identical). */
  workRatio: number;
}

export interface SchedulingFigures extends MeasureResult {
  seeds: SeedFigures[];
}

function config(caps: Caps, mode: 'continuous' | 'waves'): ConfigInput {
  return { ...caps, scheduling: mode };
}

export async function measureScheduling(workspace: string): Promise<SchedulingFigures> {
  const plan = makePlan({ domains: FANOUT, tier: MIXED_TIERS });
  const seeds: SeedFigures[] = [];
  for (const seed of SEEDS) {
    const latency: LatencyModel = { seed, ...LATENCY };
    const run = (mode: 'continuous' | 'waves'): Promise<RunResult> =>
      runEngine({ workspace, model: new BenchModel({ workspace, plan, realisticWorkers: true, latency }), config: config(SCHED_CAPS, mode) });
    const continuous = await run('continuous');
    const waves = await run('waves');
    const bound = lowerBound(continuous.figures.agents, continuous.busy, SCHED_CAPS);
    const total = (r: RunResult): number => [...r.busy.values()].reduce((a, b) => a + b, 0);
    seeds.push({ seed, continuous, waves, bound, workRatio: total(waves) / total(continuous) });
  }
  const atDefaults = await runEngine({
    workspace, model: new BenchModel({ workspace, plan, realisticWorkers: true, latency: { seed: SEEDS[0], ...LATENCY } }), config: config(DEFAULT_CAPS, 'continuous'),
  });
  const defaultBound = lowerBound(atDefaults.figures.agents, atDefaults.busy, DEFAULT_CAPS);
  const sum = (f: (s: SeedFigures) => number): number => seeds.reduce((a, s) => a + f(s), 0);
  const toBound = sum((s) => s.continuous.figures.wallMs) / sum((s) => s.bound.ms);
  const wavesOver = sum((s) => s.waves.figures.wallMs) / sum((s) => s.continuous.figures.wallMs);
  const failed = seeds.some((s) => s.continuous.figures.status !== 'completed' || s.waves.figures.status !== 'completed');
  const raw = [
    `30 workers (${FANOUT.join('+')}) + 4 coordinators + final; caps ${SCHED_CAPS.maxConcurrent} at once, haiku ${SCHED_CAPS.tierCaps.haiku} / sonnet ${SCHED_CAPS.tierCaps.sonnet} / opus ${SCHED_CAPS.tierCaps.opus}`,
    `seeds ${SEEDS.join(', ')}; ratios are Σ makespans ÷ Σ bounds`,
    `latency per request: lognormal, median ${LATENCY.medianMs} ms, sigma ${LATENCY.sigma} (p99 ≈ ${Math.round(LATENCY.medianMs * Math.exp(2.326 * LATENCY.sigma))} ms), keyed by seed + agent + turn`,
    ...seeds.map((s) => `seed ${s.seed}: continuous ${ms(s.continuous.figures.wallMs)}, waves ${ms(s.waves.figures.wallMs)}, bound ${ms(s.bound.ms)} `
      + `(${s.bound.binding}; critical path ${ms(s.bound.criticalPathMs)}, work ÷ global cap ${ms(s.bound.globalMs)}, `
      + `per tier ${Object.entries(s.bound.tierMs).map(([t, v]) => `${t} ${ms(v)}`).join(' ')}); `
      + `same work in both modes: ${Math.abs(s.workRatio - 1) < 0.001 ? 'yes' : `no (×${fixed(s.workRatio, 4)})`}`),
    `at the default caps (8 at once; haiku 12 / sonnet 8 / opus 4), seed ${SEEDS[0]}: continuous ${ms(atDefaults.figures.wallMs)}, bound ${ms(defaultBound.ms)} (${defaultBound.binding}), ratio ${fixed(atDefaults.figures.wallMs / defaultBound.ms, 3)}. `
      + 'There the bound assumes 30 heavy-tailed workers packed perfectly into 8 slots, which no scheduler that does not know the latencies in advance can approach (greedy list scheduling is only guaranteed within 2 − 1/m of the optimum)',
  ];
  return {
    seeds,
    rows: [
      { n: '1', measure: 'makespan continuous ÷ lower bound (30 w + 4 c, heavy tails)', value: fixed(toBound, 3), before: '—', target: '≤ 1.10', ok: !failed && toBound <= 1.1 },
      { n: '2', measure: 'makespan waves ÷ continuous (same latencies)', value: fixed(wavesOver, 2), before: '—', target: '≥ 1.3', ok: !failed && wavesOver >= 1.3 },
    ],
    raw,
  };
}
