/**
 * Measure 11: the `search` tool with the catastrophic pattern `^(a+)+$` over 20,000 files of
 * `a…ab` lines, through the real worker tool, timed with the event-loop probes of measure 7. A
 * backtracking engine held the process for a minute on one 31-byte such line; on RE2 the search is
 * linear, and the walk and the matching hand the loop back in slices.
 *
 * The files are generated once under the temp folder and reused (see bigWorkspace.ts for why).
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { executeTool, type ToolContext } from '../../src/engine/tools/tools';
import { delayOf } from './eventLoop';
import { type MeasureResult } from './result';

const FILES = 20_000;
const FILES_PER_FOLDER = 100;
const LINES_PER_FILE = 8;
/** Every this many files, one line matches, so the output shows the walk reached the last file. */
const MATCH_EVERY = 100;
const TARGET_MS = 50;
const PATTERN = '^(a+)+$';
const LAYOUT_VERSION = 1;

function lineOf(file: number, line: number): string {
  return `${'a'.repeat(30 + ((file * 7 + line * 13) % 31))}b`;
}

/** The workspace: 200 folders of 100 files, each of 8 lines of 31 to 61 bytes. */
function regexWorkspace(): { root: string; bytes: number } {
  const root = path.join(os.tmpdir(), 'orch-bench-regex', `${FILES}-v${LAYOUT_VERSION}`);
  const done = path.join(root, '.bench-complete');
  let bytes = 0;
  const fresh = !existsSync(done);
  if (fresh) rmSync(root, { recursive: true, force: true });
  for (let f = 0; f < FILES; f++) {
    const lines = Array.from({ length: LINES_PER_FILE }, (_, l) => lineOf(f, l));
    if (f % MATCH_EVERY === MATCH_EVERY - 1) lines[LINES_PER_FILE - 1] = 'a'.repeat(40);
    const text = `${lines.join('\n')}\n`;
    bytes += text.length;
    if (!fresh) continue;
    const dir = path.join(root, 'data', `d${String(Math.floor(f / FILES_PER_FOLDER)).padStart(3, '0')}`);
    if (f % FILES_PER_FOLDER === 0) mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `f${String(f % FILES_PER_FOLDER).padStart(2, '0')}.txt`), text);
  }
  if (fresh) writeFileSync(done, `${FILES} files\n`);
  return { root, bytes };
}

export async function measureRegexSearch(): Promise<MeasureResult> {
  const { root, bytes } = regexWorkspace();
  const ctx: ToolContext = {
    workspace: root, outputRoot: '.orchestration', ownOutputFile: path.join(root, '.orchestration', 'bench', 'a1.md'), readOnly: true,
    maxSearchMatches: FILES / MATCH_EVERY,
  };
  let content = '';
  let isError = false;
  const delay = await delayOf(async () => {
    ({ content, isError } = await executeTool('search', { pattern: PATTERN, regex: true }, ctx));
  });
  const matches = content.split('\n').filter((l) => /^data\/d\d{3}\/f\d{2}\.txt:\d+: a+$/.test(l));
  const lastFile = `data/d${String(FILES / FILES_PER_FOLDER - 1).padStart(3, '0')}/f${MATCH_EVERY - 1}.txt`;
  const complete = !isError && matches.length === FILES / MATCH_EVERY && matches[matches.length - 1].startsWith(`${lastFile}:`);
  return {
    rows: [{
      n: '11',
      measure: `\`search\` with ${PATTERN} over ${(FILES / 1000).toFixed(0)}k files: longest event-loop block`,
      value: `longest ${Math.round(delay.maxMs)} ms, p99 ${Math.round(delay.p99Ms)} ms`,
      before: '—',
      target: `≤ ${TARGET_MS} ms`,
      ok: delay.maxMs <= TARGET_MS && complete,
    }],
    raw: [
      `measure 11: ${FILES} files (${(bytes / 1e6).toFixed(1)} MB of a…ab lines under ${root}) searched with ${PATTERN} in ${Math.round(delay.wallMs)} ms; `
        + `${matches.length} matches${complete ? ', the last in the last file' : `; INCOMPLETE: ${isError ? content : content.split('\n').slice(-2).join(' / ')}`}; `
        + `longest block ${delay.maxMs.toFixed(1)} ms (wall clock ${delay.wallMaxMs.toFixed(1)} ms), p99 ${delay.p99Ms.toFixed(1)} ms`,
    ],
  };
}
