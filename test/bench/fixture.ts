/**
 * The bench's workspace and plans: a synthetic TypeScript service (deterministic, ~100 files of
 * realistic size) and plans of any shape over it, so the planner's answer is fixed and the bench
 * measures the engine rather than the planner.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Tier } from '../../src/engine/types';
import { intBetween } from './rng';

const AREAS = ['api', 'auth', 'billing', 'catalog', 'db', 'jobs', 'web', 'shared'] as const;
const SUBS = ['handlers', 'services', 'util'] as const;
const FILES_PER_SUB = 4;

export const TASK = 'Audit this service for security issues and risky error handling';

/** Creates the workspace in a temp folder and returns its path. */
export function makeWorkspace(): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'orch-bench-'));
  writeFileSync(path.join(root, 'README.md'), '# Bench service\n\nA synthetic service the orchestration bench audits.\n');
  for (const area of AREAS) {
    for (const sub of SUBS) {
      const dir = path.join(root, 'src', area, sub);
      mkdirSync(dir, { recursive: true });
      for (let i = 1; i <= FILES_PER_SUB; i++) {
        const name = `${area}${capital(sub)}${i}`;
        writeFileSync(path.join(dir, `${name}.ts`), sourceFile(`${area}/${sub}/${name}`));
      }
    }
  }
  return root;
}

function capital(s: string): string {
  return s[0].toUpperCase() + s.slice(1);
}

/** A plausible source file: imports, a few exported functions with bodies, some TODO/FIXME notes. */
function sourceFile(key: string): string {
  const fns = intBetween(`${key}:fns`, 4, 12);
  const out = [`// ${key}.ts`, "import { log } from '../../shared/util/sharedUtil1';", "import type { Request } from '../../api/handlers/apiHandlers1';", ''];
  for (let f = 0; f < fns; f++) {
    const name = `${['load', 'save', 'check', 'parse', 'render', 'sync'][f % 6]}${capital(key.split('/')[2])}${f}`;
    out.push(`/** ${name}: part of ${key}. */`);
    out.push(`export async function ${name}(req: Request, input: string): Promise<string> {`);
    const body = intBetween(`${key}:${f}:body`, 6, 22);
    for (let l = 0; l < body; l++) {
      const kind = intBetween(`${key}:${f}:${l}`, 0, 19);
      if (kind === 0) out.push('  // TODO: validate input length before use');
      else if (kind === 1) out.push('  // FIXME: error is swallowed here');
      else if (kind === 2) out.push(`  const query = "SELECT * FROM t WHERE id = '" + input + "'";`);
      else if (kind === 3) out.push('  try { await log(input); } catch { /* ignored */ }');
      else out.push(`  const v${l} = input.slice(${l}, ${l + 8}).trim(); if (!v${l}) return '${name}:${l}';`);
    }
    out.push(`  return input;`, '}', '');
  }
  return out.join('\n');
}

export interface PlanShape {
  /** Workers per domain, e.g. [8, 8, 7, 7]. */
  domains: number[];
  /** Tier of the k-th worker of the plan. */
  tier(k: number): Tier;
}

const VERBS: Record<Tier, string> = {
  haiku: 'Inventory entry points, inputs and secrets in',
  sonnet: 'Review error handling and logging in',
  opus: 'Security-audit injection and unsafe input handling in',
};

/** The four-tier mix of a realistic audit: inventory (haiku), review (sonnet), deep audit (opus). */
export const MIXED_TIERS = (k: number): Tier => (['haiku', 'sonnet', 'haiku', 'opus', 'sonnet'] as const)[k % 5];

/** A plan object as the planner's `plan_fan_out` tool would return it. */
export function makePlan(shape: PlanShape): Record<string, unknown> {
  let k = 0;
  const domains = shape.domains.map((count, d) => {
    const id = String.fromCharCode(97 + d);
    const area = AREAS[d % AREAS.length];
    return {
      id,
      name: `${capital(area)} (${area})`,
      brief: `Covers src/${area}/ for the run task "${TASK}". Stay inside your scope, cite file and line for every finding, and say what you could not check.`,
      workers: Array.from({ length: count }, (_, i) => {
        const tier = shape.tier(k++);
        const sub = SUBS[i % SUBS.length];
        // Every third worker gets one file, the others a folder, so both tool paths run.
        const scope = i % 3 === 2 ? `src/${area}/${sub}/${area}${capital(sub)}${1 + (i % FILES_PER_SUB)}.ts` : `src/${area}/${sub}`;
        return { id: `${id}${i + 1}`, task: `${VERBS[tier]} ${scope}`, scope: [scope], tier };
      }),
    };
  });
  return { task: TASK, summary: `Bench plan: ${shape.domains.length} domains, ${k} workers.`, domains };
}
