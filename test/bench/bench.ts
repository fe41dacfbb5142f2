/**
 * `npm run bench`: drives the real engine and SDK against the fake Messages API and prints one
 * table of ratios measured side by side, plus the raw figures. Exits 1 when a target is missed.
 * The same bundle, started with `--engine`, is the engine process of each run.
 *
 * BENCH_ONLY=sched,scale,rate,loop,sup,build,pipeline,fix,mapreduce,views,regex,stall,redact,mcp,parent1k,batch runs a subset (sched covers measures 1, 2, 3 and 6; loop is measure 7; views is 10; regex is 11; stall is T1; redact is R1; mcp is M1; parent1k is 3b; batch is 12; agents is A1);
 * `npm run bench -- --readme` also writes the table into README.md's Performance section.
 * BENCH_KEEP=1 leaves the workspace in the temp folder: on ext4 without a journal, deleting its
 * thousands of files makes creating files slow for minutes, which would skew a bench run right after.
 * Profiling switches: BENCH_ENGINE_ARGS (harness.ts), BENCH_HEAP_SAMPLE, BENCH_HEAP_PROMOTED, BENCH_HEAP_SNAPSHOT and BENCH_MEM_TRACE (child.ts).
 */
import { rmSync } from 'node:fs';
import * as path from 'node:path';
import { childMain } from './child';
import { parentContext, promptCache } from './context';
import { makeWorkspace } from './fixture';
import { measureEventLoop } from './eventLoop';
import { ENGINE_FLAG } from './harness';
import { measureMapReduce } from './mapReduce';
import { measureRateLimit } from './rateLimit';
import { measureRegexSearch } from './regexSearch';
import { renderRaw, renderTable, updateReadme } from './report';
import type { MeasureResult } from './result';
import { measureScale } from './scale';
import { measureScheduling } from './scheduling';
import { measureStall } from './stall';
import { measureSupervisorContext } from './supervisor';
import { measureViews } from './views';
import { measureBuild } from './build';
import { measurePipeline } from './pipeline';
import { measureRedaction } from './redaction';
import { measureMcpContext } from './mcp';
import { measureFixFindings } from './fixFindings';
import { measureBatch, measureParentScale } from './batch';
import { measureAgentDefinitions } from './agentDefinitions';

async function main(): Promise<number> {
  const started = Date.now();
  const workspace = makeWorkspace();
  const only = process.env.BENCH_ONLY?.split(',');
  const want = (k: string): boolean => !only || only.includes(k);
  try {
    const results: MeasureResult[] = [];
    const step = async <T extends MeasureResult>(label: string, f: () => Promise<T>): Promise<T> => {
      process.stderr.write(`bench: ${label}…\n`);
      const r = await f();
      results.push(r);
      return r;
    };
    if (want('sched')) {
      const sched = await step('scheduling (continuous, waves, lower bound)', () => measureScheduling(workspace));
      const sample = sched.seeds[0].continuous;
      await step('parent context', async () => parentContext(sample));
      await step('prompt cache', () => promptCache(workspace, sample));
    }
    if (want('scale')) await step('scale (250 and 1,000 workers)', () => measureScale(workspace));
    if (want('parent1k')) await step('parent context at 30 and 1,000 workers', () => measureParentScale(workspace));
    if (want('rate')) await step('rate limits', () => measureRateLimit(workspace));
    if (want('loop')) await step('event-loop blocking (20,000 and 100,000 files)', () => measureEventLoop());
    if (want('regex')) await step('search with a catastrophic regex (20,000 files)', () => measureRegexSearch());
    if (want('sup')) await step('supervisor context growth', () => measureSupervisorContext(workspace));
    if (want('views')) await step('live views and transcripts (8 streaming agents; 1,000 workers)', () => measureViews(workspace));
    if (want('stall')) await step('a stalled stream, to its retry', () => measureStall());
    if (want('build')) await step('build phase (4 builders and 1)', () => measureBuild(workspace));
    if (want('pipeline')) await step('whole build pipeline (4 builders and 1; harden cache)', () => measurePipeline(workspace));
    if (want('redact')) await step('redaction of 1 MB', () => measureRedaction());
    if (want('fix')) await step('a build from an audit\'s findings (parent context)', () => measureFixFindings());
    if (want('agents')) await step('planning with 200 agent definitions', () => measureAgentDefinitions(workspace));
    if (want('mcp')) await step('an agent handing a 30-worker audit over MCP', () => measureMcpContext(workspace));
    // Last: their 2,000 and 5,000 files must not show in the other measures' workspace overview.
    if (want('mapreduce')) await step('map-reduce (2,000 files)', () => measureMapReduce(workspace));
    if (want('batch')) await step('batch mode (5,000-file map-reduce, realtime and batched)', () => measureBatch(workspace));
    results.sort((a, b) => a.rows[0].n.localeCompare(b.rows[0].n, 'en', { numeric: true }));
    const table = renderTable(results, Date.now() - started);
    console.log(`${table}\n\n${renderRaw(results)}`);
    if (process.argv.includes('--readme')) {
      const readme = path.join(__dirname, '..', 'README.md');
      if (!updateReadme(readme, table)) console.error(`bench: no <!-- bench-table --> markers in ${readme}; README left as it was`);
    }
    return results.every((r) => r.rows.every((row) => row.ok)) ? 0 : 1;
  } finally {
    if (process.env.BENCH_KEEP) console.error(`bench: workspace kept at ${workspace}`);
    else rmSync(workspace, { recursive: true, force: true });
  }
}

if (process.argv.includes(ENGINE_FLAG)) {
  void childMain();
} else {
  main().then((code) => process.exit(code), (err: unknown) => {
    console.error(err);
    process.exit(2);
  });
}
