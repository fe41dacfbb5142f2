import * as path from 'node:path';

/** The folder of a run's transcripts, and (inside it) of the prompts they reference by hash. */
export const TRANSCRIPTS_DIR = 'transcripts';
export const PROMPTS_DIR = 'prompts';

/** The transcript file of one agent (absolute). Throws on an id that is not an agent id. */
export function transcriptFile(runDir: string, agentId: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(agentId) || agentId.includes('..')) throw new Error(`"${agentId}" is not an agent id`);
  return path.join(runDir, TRANSCRIPTS_DIR, `${agentId}.jsonl`);
}
