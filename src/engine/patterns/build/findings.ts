import * as path from 'node:path';
import { readTextOrNull } from '../../files';
import type { Ledger } from '../../ledger/ledger';
import { PlanError } from '../../plan/planError';
import type { BuildPlan } from './plan';
import { FINDINGS_FILE, FindingsFileSchema, readRunJson } from '../../pipelineFiles';
import { findingsBlock } from './findingLines';

/** What the planner and the builders read of each scout's report (the planner's only view of the code). */
const REPORT_CHARS = 8_000;

/**
 * The scouts' reports, each bounded, in plan order; a scout that did not finish is named as such.
 * Fails when none finished: there is nothing to plan the builders from.
 */
export async function scoutFindings(runDir: string, ledger: Ledger, plan: Pick<BuildPlan, 'scouts'>): Promise<string> {
  const parts: string[] = [];
  let finished = 0;
  for (const s of plan.scouts) {
    const a = ledger.get(s.id);
    const where = s.scope.join(', ') || 'whole workspace';
    if (a?.status !== 'completed') {
      parts.push(`## Scout ${s.id} (${where}): did not finish (${a?.error ?? a?.status ?? 'missing'})`);
      continue;
    }
    finished++;
    const text = (await readTextOrNull(path.join(runDir, a.outputFile))) ?? '';
    const body = text.length > REPORT_CHARS ? `${text.slice(0, REPORT_CHARS)}\n[report cut at ${REPORT_CHARS} characters]` : text;
    // The report's own headings go two levels down, below this one, so the prompt's sections stay whole.
    parts.push(`## Scout ${s.id} (${where}): ${a.returned ?? ''}\n\n${body.trim().replace(/^(#+ )/gm, '##$1')}`);
  }
  if (finished === 0) throw new PlanError(`No scout finished, so there is nothing to plan the builders from:\n  ${parts.join('\n  ')}`, []);
  // A build from an audit's findings (findings.json): they lead what the planner and the builders read.
  const fixing = await readRunJson(runDir, FINDINGS_FILE, FindingsFileSchema);
  if (fixing) parts.unshift(findingsBlock(fixing.findings, fixing.from, false).replace(/^# /, '## '));
  return parts.join('\n\n');
}
