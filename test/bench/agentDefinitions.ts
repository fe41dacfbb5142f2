/**
 * Measure A1: what 200 agent definitions in `~/.claude/agents` add to the planner's input. The
 * same task planned twice with the real engine and SDK against the offline simulator: once with
 * no definitions, once with 200 whose descriptions run to several sentences, as real ones do. The
 * planner's block summarises the most relevant ones and lists the rest by name, within a share of
 * its prompt; the measure is the planner's input tokens as the API counted them.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseConfig } from '../../src/engine/config';
import { AnthropicModelClient } from '../../src/engine/model/anthropic';
import { Orchestrator } from '../../src/engine/orchestrator';
import { simulatedHandler, startMessagesServer } from '../../src/simulator';
import { TASK } from './fixture';
import { pct, type MeasureResult } from './result';

const DEFINITIONS = 200;
/** At most this much more planner input with the definitions than without. */
const TARGET = 0.10;

const AREAS = ['api', 'auth', 'billing', 'catalog', 'db', 'jobs', 'web', 'search', 'infra', 'mobile'];
const ROLES = ['reviewer', 'auditor', 'documenter', 'tester', 'profiler', 'migrator', 'designer', 'triager', 'refactorer', 'explainer',
  'linter', 'benchmarker', 'translator', 'archivist', 'scout', 'mentor', 'planner', 'analyst', 'guardian', 'curator'];

/** 200 definitions in Claude Code's format, each with a three-sentence description and a body. */
function writeDefinitions(home: string): void {
  const dir = path.join(home, '.claude', 'agents');
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < DEFINITIONS; i++) {
    const area = AREAS[i % AREAS.length];
    const role = ROLES[Math.floor(i / AREAS.length) % ROLES.length];
    const name = `${area}-${role}`;
    writeFileSync(path.join(dir, `${name}.md`), [
      '---',
      `name: ${name}`,
      `description: Use this agent when work on the ${area} code needs a ${role}. It knows the ${area} module's conventions, `
        + `its tests and its history, and it reports findings with file and line. Invoke it proactively after any change to ${area}.`,
      'tools: Read, Grep, Glob',
      `model: ${['haiku', 'sonnet', 'inherit'][i % 3]}`,
      '---',
      `You are the ${area} ${role}. Read the code before you judge it; cite file and line for every finding.`,
      '',
    ].join('\n'));
  }
}

/** The planner's input tokens (all of its requests) for TASK with the given home folder's definitions. */
async function plannerInput(workspace: string, home: string, url: string, pattern: 'auto' | 'fan-out'): Promise<{ input: number; runDir: string }> {
  const orchestrator = new Orchestrator({
    workspace, config: parseConfig({}), simulated: true, agentsHome: home,
    model: new AnthropicModelClient({ apiKey: 'bench', baseUrl: url }), promptsDir: path.join(__dirname, '..', 'prompts'),
  });
  const run = await orchestrator.plan({ task: TASK, pattern });
  await run.ledger.close();
  const planner = run.ledger.agents.find((a) => a.role === 'planner')!;
  return { input: planner.usage.input + planner.usage.cacheRead + planner.usage.cacheWrite, runDir: run.dir };
}

export async function measureAgentDefinitions(workspace: string): Promise<MeasureResult> {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'bench-agents-'));
  const none = path.join(scratch, 'none');
  const many = path.join(scratch, 'many');
  mkdirSync(none);
  writeDefinitions(many);
  const server = await startMessagesServer({ handler: simulatedHandler(workspace) });
  try {
    // Auto (the planner sees every pattern's guide) and one pattern picked by hand (a much shorter prompt).
    const rows: MeasureResult['rows'] = [];
    const raw: string[] = [];
    for (const [n, pattern] of [['A1', 'auto'], ['A1b', 'fan-out']] as const) {
      const without = await plannerInput(workspace, none, server.url, pattern);
      const withDefs = await plannerInput(workspace, many, server.url, pattern);
      const added = (withDefs.input - without.input) / without.input;
      const assigned = (readFileSync(path.join(withDefs.runDir, 'plan.json'), 'utf8').match(/"agent":/g) ?? []).length;
      rows.push({
        n, measure: `planner input tokens added by ${DEFINITIONS} agent definitions ÷ planner input without them (pattern ${pattern})`,
        value: pct(added), before: '—', target: `≤ ${pct(TARGET, 0)}`, ok: added <= TARGET,
      });
      raw.push(`${pattern}: planner input tokens ${without.input} without definitions, ${withDefs.input} with ${DEFINITIONS} (+${withDefs.input - without.input}); `
        + `the plan assigned ${assigned} agents to a definition`);
    }
    return { rows, raw };
  } finally {
    await server.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}
