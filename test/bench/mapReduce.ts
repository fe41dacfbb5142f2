/**
 * Measure 9: map-reduce over 2,000 files at zero latency, the engine in its own process. How the
 * files were cut (mappers), how deep the reduce tree went, the most a reducer was sent, the
 * parent's context beside a flat map's, and engine CPU per agent (selection included: plan() walks
 * and sniffs the 2,000 files). The CPU target is looser than fan-out's 5 ms: a mapper reads ~25
 * files and sends them as one ~25k-token request, five times a fan-out worker's turn, and the SDK's
 * cost grows with the body.
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { SelectionFile } from '../../src/engine/patterns/map-reduce/compile';
import { runEngine } from './harness';
import { BenchModel } from './model';
import { fixed, type MeasureResult } from './result';
import { intBetween } from './rng';

const FILES = 2_000;
const FAN_IN = 8;
const TASK = 'Rate the comments in every .ts file';

/** `files` source files of 0.3–6 KB over 20 × 10 folders, inside the bench workspace (removed with it). */
export function makeFiles(root: string, files = FILES): void {
  for (let i = 0; i < files; i++) {
    const dir = path.join(root, 'src', `area${i % 20}`, `mod${Math.floor(i / 20) % 10}`);
    mkdirSync(dir, { recursive: true });
    const lines = intBetween(`mr:${i}:lines`, 10, 200);
    const body = Array.from({ length: lines }, (_, l) => (intBetween(`mr:${i}:${l}`, 0, 5) === 0 ? `// ${l}: why this value; TODO revisit` : `export const v${l} = input.slice(${l}, ${l + 4});`));
    writeFileSync(path.join(dir, `file${String(i).padStart(4, '0')}.ts`), `${body.join('\n')}\n`);
  }
}

const bytes = (file: string): number => {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
};

export async function measureMapReduce(workspace: string): Promise<MeasureResult> {
  const root = path.join(workspace, 'map-reduce-2000');
  makeFiles(root);
  const plan = { reason: 'one question of every file', question: 'Rate the comments of each file from 1 to 5 and say why', include: ['**/*.ts'], mapperTier: 'haiku', fanIn: FAN_IN };
  const r = await runEngine({
    workspace: root, task: TASK, pattern: 'map-reduce',
    model: new BenchModel({ workspace: root, plan, realisticWorkers: false }),
    config: { maxConcurrent: 16, tierCaps: { haiku: 16, sonnet: 8, opus: 4 } },
  });
  const f = r.figures;
  const sel = JSON.parse(readFileSync(path.join(f.runDir, 'selection.json'), 'utf8')) as SelectionFile;
  const outputOf = new Map(f.agents.map((a) => [a.id, path.join(f.runDir, a.outputFile)]));
  const reducerInputs = sel.reducers.flat().map((red) => ({ id: red.id, n: red.inputs.length, tokens: Math.ceil(red.inputs.reduce((s, id) => s + bytes(outputOf.get(id)!), 0) / 4) }));
  const largest = reducerInputs.reduce((a, b) => (b.tokens > a.tokens ? b : a), { id: '—', n: 0, tokens: 0 });
  const depth = sel.reducers.length;
  let expectedDepth = 0;
  for (let reach = 1; reach < sel.mappers.length; reach *= FAN_IN) expectedDepth++;
  const agents = f.agents.length;
  const completed = f.agents.filter((a) => a.status === 'completed').length;
  const cpu = f.cpuMs / agents;
  const parent = f.totals.parentContextTokens;
  const flat = f.totals.flatBaselineTokens;
  const mapperTokens = sel.mappers.map((m) => m.tokens);
  return {
    rows: [
      { n: '9a', measure: `map-reduce over ${FILES.toLocaleString('en-US')} files: mappers, reduce depth`, value: `${sel.mappers.length} mappers, depth ${depth}`, before: '—', target: `depth = ⌈log_${FAN_IN} mappers⌉ = ${expectedDepth}`, ok: completed === agents && sel.selectedFiles === FILES && depth === expectedDepth },
      { n: '9b', measure: 'map-reduce: largest reducer input', value: `${largest.tokens.toLocaleString('en-US')} tokens from ${largest.n} outputs (${largest.id})`, before: '—', target: `≤ ${FAN_IN} outputs`, ok: reducerInputs.every((x) => x.n <= FAN_IN) },
      { n: '9c', measure: 'map-reduce: parent context tokens (flat map in before)', value: parent.toLocaleString('en-US'), before: flat.toLocaleString('en-US'), target: '< 5,000', ok: parent > 0 && parent < 5_000 },
      { n: '9d', measure: 'map-reduce: engine CPU per agent (selection included)', value: `${fixed(cpu)} ms`, before: '—', target: '< 20 ms', ok: cpu < 20 },
    ],
    raw: [
      `map-reduce over ${FILES} generated .ts files: ${completed} of ${agents} agents completed (${sel.mappers.length} mappers, ${reducerInputs.length} reducers, final, planner) in ${Math.round(f.wallMs)} ms; `
        + `mapper input ${Math.min(...mapperTokens)}–${Math.max(...mapperTokens)} tokens (budget ${sel.mapperTokens}, ≤ ${sel.filesPerMapper} files); reducers per level ${sel.reducers.map((l) => l.length).join(' → ')}; `
        + `engine CPU ${Math.round(f.cpuMs)} ms (system ${Math.round(f.cpuSystemMs)}), peak RSS ${fixed(f.maxRssMb, 0)} MB; ${sel.excluded.length} files excluded`,
    ],
  };
}
