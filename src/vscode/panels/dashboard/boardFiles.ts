/**
 * Reads a build run's pipeline files for the views, through the contract's schemas (readRunJson):
 * a file that is missing, torn or of another shape counts as not there, never as a pass.
 */
import { promises as fs } from 'node:fs';
import {
  INTEGRATION_FILE, IntegrationResultSchema, readRunJson, SHIP_FILE, ShipRecordSchema, TALLY_FILE, HardenTallySchema,
} from '../../../engine/pipelineFiles';
import type { LedgerSnapshot } from '../../../engine';
import { buildersOf, NO_PIPELINE_FILES, type PipelineFiles } from './boardPipeline';
import { resolveInsideRun } from '../paths';

/** Only runs with builders have these files; any other run costs no read at all. */
export async function readPipelineFiles(runDir: string, s: LedgerSnapshot): Promise<PipelineFiles> {
  if (!buildersOf(s).length) return NO_PIPELINE_FILES;
  const [integration, tally, ship] = await Promise.all([
    readRunJson(runDir, INTEGRATION_FILE, IntegrationResultSchema),
    readRunJson(runDir, TALLY_FILE, HardenTallySchema),
    readRunJson(runDir, SHIP_FILE, ShipRecordSchema),
  ]);
  return { integration, tally, ship };
}

/** The integration check's last log, when integration.json names one that exists inside the run. */
export function integrationLog(files: PipelineFiles): string | null {
  return files.integration?.rounds.at(-1)?.log ?? null;
}

/** Which of `files` (run-relative) exist as files inside the run. */
export async function existingFiles(runDir: string, files: readonly (string | null)[]): Promise<Set<string>> {
  const out = new Set<string>();
  await Promise.all(files.map(async (rel) => {
    if (!rel) return;
    const target = await resolveInsideRun(runDir, rel);
    if (target && await fs.stat(target).then((st) => st.isFile(), () => false)) out.add(rel);
  }));
  return out;
}
