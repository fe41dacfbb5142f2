/**
 * What the CLI prints, read as a user reads it: commands that run as printed from where they were
 * printed, one line an agent, counts that agree with runProgress, a demo audit ranked by severity,
 * and a quiet end when the reader of its output goes away.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LedgerSnapshot } from '../../src/engine/types';
import { git } from './buildHarness';
import { CLI, ROOT, makeWorkspace, padLedger, readJson, workspacesOfThisTest } from './harness';

beforeAll(() => { if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run npm run build (npm test does)'); });

const STACK = /^\s+at .+[(:]\d+/m;
const TASK = 'Audit this repo for security issues';

/** No key, no endpoint; worktrees under a scratch cache folder, so a printed command needs no extra setting. */
function env(): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, XDG_CACHE_HOME: mkdtempSync(path.join(os.tmpdir(), 'orch-cache-')) };
  delete e.ANTHROPIC_API_KEY;
  delete e.ANTHROPIC_BASE_URL;
  return e;
}

function cli(args: string[], cwd: string, e: NodeJS.ProcessEnv) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, env: e, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Runs a command line exactly as the CLI printed it, from the folder it was printed in:
 * `npx orchestrate …` is this package's bin (dist/cli.js), `node <file> …` names it.
 */
function runPrinted(line: string, cwd: string, e: NodeJS.ProcessEnv) {
  const words = line.trim().split(/\s+/);
  let args: string[];
  if (words[0] === 'npx') {
    expect(words[1]).toBe('orchestrate');
    args = words.slice(2);
  } else {
    expect(words[0]).toBe('node');
    expect(path.resolve(cwd, words[1])).toBe(CLI);
    args = words.slice(2);
  }
  return cli(args, cwd, e);
}

const runIdOf = (ws: string): string => readdirSync(path.join(ws, '.orchestration')).find((n) => /^\d{8}-/.test(n))!;
const printed = (text: string, label: string): string => {
  const m = new RegExp(`^\\s*${label}:\\s+(\\S.*)$`, 'm').exec(text);
  expect(m, `no "${label}:" line in:\n${text}`).not.toBeNull();
  return m![1];
};

describe('commands the CLI prints', () => {
  it('a build run\'s review, apply and discard lines run as printed from a folder above the workspace', () => {
    const parent = mkdtempSync(path.join(os.tmpdir(), 'orch-parent-'));
    const ws = path.join(parent, 'shop');
    cpSync(path.join(ROOT, 'examples/demo-shop'), ws, { recursive: true, filter: (src) => !src.includes('.orchestration') });
    workspacesOfThisTest.add(ws);
    git(ws, ['init', '-q', '-b', 'main']);
    git(ws, ['add', '-A']);
    git(ws, ['commit', '-q', '-m', 'Initial commit']);
    const e = env();
    const run = cli(['run', 'Add a doc comment to every source file', '--pattern', 'build', '--simulate', '--yes', '--workspace', 'shop'], parent, e);
    expect(run.code, run.stderr).toBe(0);
    const id = runIdOf(ws);
    // Outside the package npx would ask the registry for "orchestrate", so the CLI names its own file.
    const review = printed(run.stdout, 'review');
    expect(review).toBe(`node ${CLI} diff ${id} --workspace shop`);
    expect(run.stdout).toMatch(/^Summary: shop\/\.orchestration\/\d{8}-\d{6}-\w+\/summary\.md$/m);

    const diff = runPrinted(review, parent, e);
    expect(diff.code, diff.stderr).toBe(0);
    expect(diff.stdout).toBe(readFileSync(path.join(ws, '.orchestration', id, 'changes.patch'), 'utf8'));
    const stat = runPrinted(`${review} --stat`, parent, e);
    const first = /^modified\s+\S+\s+\S+\s+(\S+)$/m.exec(stat.stdout)![1];
    expect(stat.stdout).toMatch(/^\d+ files, \+\d+ -\d+$/m);

    const one = runPrinted(`${printed(run.stdout, 'apply')} --file ${first}`, parent, e);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toMatch(/^Applied 1 file to your working tree/m);
    const discard = /discard the rest with: (.+)\)\.$/m.exec(one.stdout)?.[1];
    expect(discard).toBe(`node ${CLI} discard ${id} --workspace shop`);
    const d = runPrinted(discard!, parent, e);
    expect(d.code, d.stderr).toBe(0);
    expect(git(ws, ['branch', '--list', `orchestration/${id}/*`]).trim()).toBe('');
  });

  it('in the clone they start with npx orchestrate, which runs, and name a workspace elsewhere by its absolute path', () => {
    const ws = makeWorkspace();
    const e = env();
    const run = cli(['run', TASK, '--pattern', 'fan-out', '--simulate', '--yes', '--workspace', ws], ROOT, e);
    expect(run.code, run.stderr).toBe(0);
    const id = runIdOf(ws);
    const status = cli(['status', id, '--workspace', ws], ROOT, e);
    const asJson = /all of it as JSON: (.+)$/m.exec(status.stdout)?.[1];
    expect(asJson).toBe(`npx orchestrate status ${id} --json --workspace ${ws}`);
    const json = runPrinted(asJson!, ROOT, e);
    expect(json.code, json.stderr).toBe(0);
    expect((JSON.parse(json.stdout) as LedgerSnapshot).runId).toBe(id);
    // The program part of the line: package.json's bin, found by npx in the clone.
    const help = spawnSync('npx', ['--no-install', 'orchestrate', '--help'], { cwd: ROOT, env: e, encoding: 'utf8', timeout: 60_000 });
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^Usage:/);
  });
});

describe('list and status', () => {
  it('count the plan without the planner (16 + 5 + 1 reads n/22) and show one line an agent, never the simulated label', () => {
    const ws = makeWorkspace();
    const e = env();
    expect(cli(['run', TASK, '--pattern', 'fan-out', '--simulate', '--yes', '--workspace', ws], ws, e).code).toBe(0);
    const id = runIdOf(ws);
    const snap = readJson<LedgerSnapshot>(path.join(ws, '.orchestration', id, 'ledger.json'));
    const planned = snap.agents.filter((a) => a.role !== 'planner').length;
    expect(planned).toBe(22);

    const list = cli(['list'], ws, e);
    expect(list.stdout).toMatch(new RegExp(`^${id}  completed\\s+22/22 `, 'm'));
    const status = cli(['status', id], ws, e);
    expect(status.code, status.stderr).toBe(0);
    const rows = status.stdout.split('\n').filter((l) => /^ {2}\S/.test(l));
    expect(rows.map((r) => r.trim().split(/\s+/)[0])).toEqual(snap.agents.map((a) => a.id));
    const coordinator = snap.agents.find((a) => a.role === 'coordinator')!;
    expect(coordinator.returned).toContain('\n'); // a multi-line return, shown on one line
    const final = rows.find((r) => r.trim().startsWith('final '))!;
    expect(final).not.toMatch(/Simulated output/);
    expect(final).toMatch(/summary\.md\s+For “Audit this repo for security issues”, 5 domain coordinators reported/);
    // Here the workspace is the current folder: no --workspace, and the run folder relative to it
    // (and the CLI named by its file: this folder is outside the package).
    expect(status.stdout).toContain(`under ${path.join('.orchestration', id)}; all of it as JSON: node ${CLI} status ${id} --json\n`);
  });

  it('a failed agent is shown apart, never counted as done', () => {
    const ws = makeWorkspace();
    const e = env();
    expect(cli(['run', TASK, '--pattern', 'fan-out', '--simulate', '--yes', '--workspace', ws], ws, e).code).toBe(0);
    const id = runIdOf(ws);
    const file = path.join(ws, '.orchestration', id, 'ledger.json');
    const snap = readJson<LedgerSnapshot>(file);
    const a1 = snap.agents.find((a) => a.id === 'a1')!;
    a1.status = 'failed';
    a1.error = 'timed out after 300 s';
    snap.totals.agentsByStatus.completed--;
    snap.totals.agentsByStatus.failed++;
    writeFileSync(file, JSON.stringify(snap));
    workspacesOfThisTest.delete(ws); // the edit leaves the accounting as it was; nothing to check
    expect(cli(['list'], ws, e).stdout).toMatch(new RegExp(`^${id}  \\S+\\s+21/22\\s+1 failed `, 'm'));
  });
});

describe('a reader that goes away', () => {
  /** Runs the CLI with its standard output closed by the reader after the first line it reads. */
  function closedAfterFirstLine(args: string[], cwd: string, e: NodeJS.ProcessEnv): Promise<{ code: number | null; first: string; stderr: string }> {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: e, stdio: ['ignore', 'pipe', 'pipe'] });
    let got = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      got += String(d);
      if (got.includes('\n')) child.stdout.destroy();
    });
    child.stderr.on('data', (d) => { stderr += String(d); });
    return new Promise((resolve) => child.on('exit', (code) => resolve({ code, first: got.split('\n')[0], stderr })));
  }

  it('status, list, the usage and a run end quietly: exit 0, no stack on stderr', async () => {
    const ws = makeWorkspace();
    const e = env();
    expect(cli(['run', TASK, '--pattern', 'fan-out', '--simulate', '--yes'], ws, e).code).toBe(0);
    const id = runIdOf(ws);
    // Far more than a pipe holds (64 KB), so the writer meets the closed pipe: status rows and list lines.
    const file = path.join(ws, '.orchestration', id, 'ledger.json');
    padLedger(file, 3000);
    const snap = readJson<LedgerSnapshot>(file);
    workspacesOfThisTest.delete(ws);
    for (let i = 0; i < 800; i++) {
      const other = `20200101-000000-${String(i).padStart(4, '0')}`;
      mkdirSync(path.join(ws, '.orchestration', other));
      writeFileSync(path.join(ws, '.orchestration', other, 'ledger.json'), JSON.stringify({ ...snap, runId: other, agents: snap.agents.slice(0, 3) }));
    }
    for (const args of [['status', id], ['status', id, '--json'], ['list'], ['list', '--json'], ['--help']]) {
      const r = await closedAfterFirstLine(args, ws, e);
      expect(r.first.length, args.join(' ')).toBeGreaterThan(0);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      expect(r.stderr, args.join(' ')).not.toMatch(STACK);
      expect(r.stderr, args.join(' ')).not.toMatch(/EPIPE/);
    }
  });
});

describe('the demo audit', () => {
  it('ranks the hard-coded secret above style findings, keeps the timing-unsafe comparison, and states true counts', () => {
    const ws = makeWorkspace();
    const r = cli(['run', TASK, '--pattern', 'fan-out', '--simulate', '--yes', '--workspace', ws], ROOT, env());
    expect(r.code, r.stderr).toBe(0);
    const dir = path.join(ws, '.orchestration', runIdOf(ws));
    const summary = readFileSync(path.join(dir, 'summary.md'), 'utf8');
    const actions = summary.split('## Top actions')[1].split('## Gaps')[0].split('\n').filter((l) => /^\d+\. /.test(l));
    const at = (re: RegExp): number => actions.findIndex((l) => re.test(l));
    const secret = at(/hard-coded secret/);
    const timing = at(/timing-unsafe/);
    expect(secret).toBeGreaterThanOrEqual(0);
    expect(timing).toBeGreaterThanOrEqual(0);
    expect(actions[secret]).toMatch(/^\d+\. \[critical\] .*src\/auth\/session\.js/);
    expect(at(/SQL injection/)).toBeLessThan(at(/TODO\/FIXME/));
    // Declaration counts and file sizes describe the code; they are never actions.
    expect(summary).not.toMatch(/function-like declaration|no markers or declarations stood out/);
    // Most severe first throughout.
    const order = ['critical', 'high', 'medium'];
    const levels = actions.map((l) => order.indexOf(/\[(\w+)\]/.exec(l)![1]));
    expect(levels).toEqual([...levels].sort((a, b) => a - b));
    // Every security finding a worker wrote reaches the summary.
    const workerFindings = readdirSync(path.join(dir, 'workers')).flatMap((f) => readFileSync(path.join(dir, 'workers', f), 'utf8').split('\n'))
      .filter((l) => /^- `[^`]+` line \d+: /.test(l)).map((l) => l.slice(2));
    expect(workerFindings.length).toBeGreaterThan(0);
    for (const f of new Set(workerFindings)) expect(summary, f).toContain(f);
    // The counts it states are the counts of what it lists.
    const stated = /reported (\d+) actionable items \(([^)]*)\)/.exec(summary)!;
    expect(Number(stated[1])).toBe(actions.length);
    for (const part of stated[2].split(', ')) {
      const [n, level] = part.split(' ');
      expect(actions.filter((l) => l.includes(`[${level}]`)).length, part).toBe(Number(n));
    }
    // Headings name the assignment whole: no run task repeated in them, nothing cut.
    for (const f of readdirSync(path.join(dir, 'workers'))) {
      const heading = readFileSync(path.join(dir, 'workers', f), 'utf8').split('\n').find((l) => l.startsWith('# '))!;
      expect(heading, f).not.toContain('…');
      expect(heading, f).not.toContain('(run task:');
    }
  });
});
