/**
 * The supervisor's context growth per round: a supervisor run of the real engine and SDK against
 * the fake Messages API (in this process: the measure is tokens, not time), with workers that write
 * realistic 3–6k-token reports. Each round wakes on the previous round's one-sentence returns; the
 * prompt it is sent should grow by those (and the spawn call that asked for them), never by the
 * workers' files.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseConfig } from '../../src/engine/config';
import { AnthropicModelClient } from '../../src/engine/model/anthropic';
import { Orchestrator } from '../../src/engine/orchestrator';
import type { SupervisorState } from '../../src/engine/patterns/supervisor/state';
import { estimateTokens } from '../../src/engine/text';
import { startMessagesServer } from '../../src/simulator/server';
import { TASK } from './fixture';
import { BenchModel } from './model';
import { pct, type MeasureResult } from './result';

const AREAS = ['api', 'auth', 'billing', 'catalog', 'db', 'jobs', 'web', 'shared'].map((a) => `src/${a}/handlers`);
/** At most this share of the files a round woke on may reach the supervisor's context. */
const TARGET = 0.05;

export async function measureSupervisorContext(workspace: string): Promise<MeasureResult> {
  const plan = {
    reason: 'Bench: each round follows the leads of the last.', brief: `Survey the handlers, then follow the leads. ${TASK}`,
    areas: AREAS, limits: { rounds: 4, perRound: 4, workers: 12 },
  };
  const model = new BenchModel({ workspace, plan, realisticWorkers: true });
  const server = await startMessagesServer({ handler: model.handler });
  try {
    const orchestrator = new Orchestrator({
      workspace, config: parseConfig({ maxConcurrent: 8 }), simulated: true,
      model: new AnthropicModelClient({ apiKey: 'bench', baseUrl: server.url }), promptsDir: path.join(__dirname, '..', 'prompts'),
    });
    const run = await orchestrator.plan({ task: TASK, pattern: 'supervisor' });
    const outcome = await run.execute();
    await run.ledger.close();
    const { rounds } = JSON.parse(readFileSync(path.join(run.dir, 'supervisor/conversation.json'), 'utf8')) as SupervisorState;
    const fileTokens = (ids: string[]): number => ids.reduce((n, id) => n + estimateTokens(readFileSync(path.join(run.dir, `workers/${id}.md`), 'utf8')), 0);
    const steps = rounds.slice(1).map((r, i) => {
      const woke = rounds[i].outcome;
      const files = woke.kind === 'spawned' ? fileTokens(woke.workers.map((w) => w.id)) : 0;
      return { round: r.round, growth: r.promptTokens - rounds[i].promptTokens, returns: r.returnTokens, files };
    });
    const worst = steps.reduce((m, s) => Math.max(m, s.files ? s.growth / s.files : Infinity), 0);
    const ok = outcome.status === 'completed' && steps.length > 0 && worst <= TARGET;
    return {
      rows: [{
        n: 'S1', measure: "supervisor context growth per round ÷ the workers' files it woke on (worst round)",
        value: steps.length ? pct(worst) : 'no second round', before: '—', target: `≤ ${pct(TARGET, 0)}`, ok,
      }],
      raw: [
        `supervisor run ${outcome.status}: ${rounds.length} rounds, ${run.ledger.agents.filter((a) => a.role === 'worker').length} workers; `
          + `prompt tokens when each round woke: ${rounds.map((r) => r.promptTokens).join(' → ')}`,
        ...steps.map((s) => `round ${s.round}: context +${s.growth} tokens; the returns it woke on ${s.returns} tokens; those workers' files ${s.files} tokens`),
      ],
    };
  } finally {
    await server.close();
  }
}
