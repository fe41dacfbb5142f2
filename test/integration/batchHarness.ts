/** What the batch-mode tests share: a small workspace of .ts files and a map-reduce plan over it. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Reply } from '../../src/simulator/types';
import { workspacesOfThisTest } from './harness';

export const BATCH_FILES = 24;

/** BATCH_FILES small .ts files in four folders; mappers of 4 files make 6 mappers. */
export function batchWorkspace(): string {
  const ws = mkdtempSync(path.join(os.tmpdir(), 'orch-batch-'));
  workspacesOfThisTest.add(ws);
  for (let i = 0; i < BATCH_FILES; i++) {
    const rel = `src/mod${i % 4}/file${String(i).padStart(2, '0')}.ts`;
    mkdirSync(path.join(ws, path.dirname(rel)), { recursive: true });
    writeFileSync(path.join(ws, rel), `// TODO: comment ${i}\nexport const v${i} = ${i};\n`);
  }
  return ws;
}

/** The planner's answer: map-reduce, 4 files a mapper, fan-in 3. */
export const batchPlanCall: Reply = {
  kind: 'message',
  content: [{
    type: 'tool_use', name: 'plan_map_reduce',
    input: { reason: 'one question of every file', question: 'Rate the comments of each file', include: ['**/*.ts'], mapperTier: 'haiku', filesPerMapper: 4, fanIn: 3 },
  }],
};

/** `<agentId>__<n>` → the agent id. */
export const agentOfCustomId = (c: string): string => c.slice(0, c.lastIndexOf('__'));
