/**
 * Memory end to end, through the real engine, the real SDK over HTTP and real git: a build whose
 * reviewer rejects a builder twice for the same reason proposes the lesson; nothing reaches
 * memory.md until it is accepted; the next run's planner and builders are sent it.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decideLessons, readProposals } from '../../src/engine/memory/proposals';
import { parseEventLine } from '../../src/engine/ledger/events';
import type { ParsedRequest, Reply } from '../../src/simulator/types';
import { gitWorkspace, worktreesDir } from './buildHarness';
import { CLI, cliAsync, orchestrator, startFake, type Fake } from './harness';

let fake: Fake | undefined;
afterEach(async () => { await fake?.close(); fake = undefined; });

const TASK = 'Add a doc comment to every source file';
const REASON = 'Name the functions the file exports in the comment.';
const LESSON = `A reviewer rejected a change twice for the same reason: ${REASON}`;

/** The reviewer of b1 asks for the same change every time; every other agent is the simulator's. */
const stubbornReviewer = (_req: ParsedRequest, _c: unknown, agent: string): Reply | undefined => (agent === 'r-b1'
  ? { kind: 'message', content: [{ type: 'tool_use', name: 'submit_review', input: { verdict: 'changes_requested', summary: 'The comment says too little.', reasons: [REASON] } }] }
  : undefined);

const systemText = (req: ParsedRequest): string => req.system.map((b) => b.text).join('\n');
/** The cached shared block of a builder's first message (the part every builder of a run shares). */
const sharedBlock = (req: ParsedRequest): string => {
  const first = req.messages[0]?.content;
  const block = Array.isArray(first) ? first.find((b) => b.type === 'text' && 'cache_control' in b && b.cache_control) : undefined;
  return block && block.type === 'text' ? block.text : '';
};

const logLines = (runDir: string): string[] => readFileSync(path.join(runDir, 'events.jsonl'), 'utf8').split('\n').filter(Boolean)
  .map(parseEventLine).flatMap((e) => (typeof e !== 'string' && e.type === 'log' ? [e.message] : []));

describe('memory across runs (engine)', () => {
  it('proposes a reviewer\'s repeated reason, writes memory.md only on acceptance, and sends it to the next run\'s planner and builders', async () => {
    const ws = gitWorkspace();
    const wt = worktreesDir();
    fake = await startFake(ws, stubbornReviewer);
    const first = await orchestrator(fake, { worktreesDir: wt }).plan({ task: TASK, pattern: 'build' });
    const outcome = await first.execute();
    expect(outcome.status).toBe('partial');
    expect(outcome.gaps.map((g) => g.agentId)).toContain('b1');

    const proposals = (await readProposals(first.dir))!;
    expect(proposals.runId).toBe(first.id);
    expect(proposals.proposals.map((p) => [p.id, p.kind, p.text, p.status])).toEqual([['l1', 'review', LESSON, 'proposed']]);
    expect(logLines(first.dir)).toContain('1 lesson proposed for .orchestration/memory.md (memory-proposals.json); nothing is written there until you accept them');
    const memory = path.join(ws, '.orchestration', 'memory.md');
    expect(existsSync(memory)).toBe(false);

    await decideLessons({ runDir: first.dir, workspace: ws, outputRoot: '.orchestration', now: new Date('2026-12-07T12:00:00Z') }, { accept: ['l1'], drop: [] });
    expect(readFileSync(memory, 'utf8')).toContain(`- 2026-12-07 (run ${first.id}, review): ${LESSON}\n`);

    await fake.close();
    const planners: string[] = [];
    const builders: string[] = [];
    fake = await startFake(ws, (req, _c, agent) => {
      if (agent === 'planner') planners.push(systemText(req));
      if (/^b\d+$/.test(agent) && req.messages.length === 1) builders.push(sharedBlock(req));
      return undefined;
    });
    const second = await orchestrator(fake, { worktreesDir: wt }).plan({ task: TASK, pattern: 'build' });
    expect(planners.length).toBeGreaterThan(0);
    expect(planners[0]).toContain('# Lessons from earlier runs');
    expect(planners[0]).toContain(LESSON);
    expect((await second.execute()).status).toBe('completed');
    expect(builders.length).toBeGreaterThan(0);
    for (const b of builders) expect(b).toContain(LESSON);
    // Nothing new was learned, so nothing is proposed.
    expect(await readProposals(second.dir)).toBeNull();
  });

  it('leaves the oldest entries out of a memory over its budget, and the run says so', async () => {
    const ws = gitWorkspace();
    const entries = Array.from({ length: 40 }, (_, i) => `- 2026-11-${String(1 + (i % 28)).padStart(2, '0')} (run r${i}, review): lesson number ${i} ${'w'.repeat(60)}`);
    const root = path.join(ws, '.orchestration');
    mkdirSync(root, { recursive: true });
    writeFileSync(path.join(root, 'memory.md'), `# Lessons from earlier runs\n\n${entries.join('\n')}\n`);
    const planners: string[] = [];
    fake = await startFake(ws, (req, _c, agent) => { if (agent === 'planner') planners.push(systemText(req)); return undefined; });
    const run = await orchestrator(fake, { worktreesDir: worktreesDir(), memoryTokens: 300 }).plan({ task: TASK, pattern: 'build' });
    expect(planners[0]).toContain('lesson number 39 ');
    expect(planners[0]).not.toContain('lesson number 0 ');
    expect(logLines(run.dir).some((l) => /^memory: \.orchestration\/memory\.md: the \d+ oldest entries of 40 left out of prompts/.test(l))).toBe(true);
  });
});

describe('memory from the CLI', () => {
  beforeAll(() => { if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run npm run build (npm test does)'); });
  const env = (): NodeJS.ProcessEnv => ({ ...process.env, ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: fake!.server.url });
  const runIdOf = (ws: string): string => readdirSync(path.join(ws, '.orchestration')).filter((n) => /^\d{8}-/.test(n)).sort()[0];

  it('under --yes only proposes (memory.md untouched); orchestrate memory --accept all adds them, and the next plan is sent them', async () => {
    const ws = gitWorkspace();
    const wt = worktreesDir();
    fake = await startFake(ws, stubbornReviewer);
    const run = await cliAsync(['run', TASK, '--pattern', 'build', '--yes', '--workspace', ws, '--set', `worktreesDir=${wt}`], env());
    expect(run.code, run.stderr).toBe(3);
    const id = runIdOf(ws);
    expect(run.stderr).toMatch(/1 lesson proposed for memory\.md \(in .*memory-proposals\.json\); nothing was written:/);
    expect(run.stderr).toContain(`l1 (review): ${LESSON}`);
    expect(run.stderr).toMatch(new RegExp(`orchestrate memory ${id} --workspace \\S+  \\(or accept all: .*memory ${id} --accept all`));
    const memory = path.join(ws, '.orchestration', 'memory.md');
    expect(existsSync(memory)).toBe(false);

    // Without a terminal, memory only lists them.
    const listed = await cliAsync(['memory', id, '--workspace', ws], env());
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stderr).toContain(`l1 (review): ${LESSON}`);
    expect(existsSync(memory)).toBe(false);

    const bad = await cliAsync(['memory', id, '--accept', 'l7', '--workspace', ws], env());
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/No lesson l7 in this run; it proposed l1/);

    const accepted = await cliAsync(['memory', id, '--accept', 'all', '--workspace', ws], env());
    expect(accepted.code, accepted.stderr).toBe(0);
    expect(accepted.stdout).toMatch(/^Added 1 lesson to .*memory\.md\./);
    expect(readFileSync(memory, 'utf8')).toMatch(new RegExp(`^- \\d{4}-\\d{2}-\\d{2} \\(run ${id}, review\\): ${LESSON.replace(/[.*]/g, '\\$&')}$`, 'm'));
    const again = await cliAsync(['memory', id, '--workspace', ws], env());
    expect(again.stdout).toMatch(/Every lesson of run \S+ was decided already \(1 accepted, 0 dropped\)/);

    await fake.close();
    const planners: string[] = [];
    fake = await startFake(ws, (req, _c, agent) => { if (agent === 'planner') planners.push(systemText(req)); return undefined; });
    const next = await cliAsync(['run', TASK, '--pattern', 'build', '--yes', '--workspace', ws, '--set', `worktreesDir=${wt}`], env());
    expect(next.code, next.stderr).toBe(0);
    expect(planners[0]).toContain(LESSON);
    expect(next.stderr).not.toMatch(/lessons? proposed/);
    expect(next.stderr).not.toMatch(/Memory:/);

    // A budget the entry does not fit: left out of the planner's prompt, and the CLI says so under the plan.
    planners.length = 0;
    const tight = await cliAsync(['run', TASK, '--pattern', 'build', '--yes', '--workspace', ws, '--set', `worktreesDir=${wt}`, '--set', 'memoryTokens=50'], env());
    expect(tight.code, tight.stderr).toBe(0);
    expect(planners[0]).not.toContain(LESSON);
    expect(tight.stderr).toContain('Memory: .orchestration/memory.md: the 1 oldest entry of 1 left out of prompts');
  });

  it('refuses --accept on another command', async () => {
    const ws = gitWorkspace();
    fake = await startFake(ws);
    const r = await cliAsync(['status', '--accept', 'all', '--workspace', ws], env());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--accept goes with memory/);
  });
});
