import { promises as fs, type Dirent } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { ConfigError } from '../config';
import { isInside } from '../paths';
import type { LedgerSnapshot } from '../types';
import { runOrigin, type RunOrigin } from './origin';
import { withValidBatches } from './batchRecord';
import { LedgerDamagedError, readSnapshotFile } from './rebuild';

/** YYYYMMDD-HHMMSS-xxxx, sortable by time. */
export function newRunId(now = new Date()): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  const d = `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}`;
  const t = `${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  return `${d}-${t}-${randomBytes(2).toString('hex')}`;
}

export const RUN_ID_PATTERN = /^\d{8}-\d{6}-[0-9a-f]{4}$/;

export function runDir(workspace: string, outputRoot: string, runId: string): string {
  if (!RUN_ID_PATTERN.test(runId)) throw new Error(`"${runId}" is not a run id (expected YYYYMMDD-HHMMSS-xxxx)`);
  return path.join(workspace, outputRoot, runId);
}

/**
 * The real path of `abs` as far as it exists: the deepest existing ancestor resolved through its
 * symlinks, with the missing rest appended. A symlinked parent of a file not yet written counts.
 */
async function realPathSoFar(abs: string): Promise<string> {
  const missing: string[] = [];
  let cur = path.resolve(abs);
  for (;;) {
    try {
      return path.join(await fs.realpath(cur), ...missing.reverse());
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
      const parent = path.dirname(cur);
      if (parent === cur) return path.join(cur, ...missing.reverse());
      missing.push(path.basename(cur));
      cur = parent;
    }
  }
}

/**
 * The output root, absolute, once its real path (after symlinks) is known to lie inside the
 * workspace's. A repository can commit `.orchestration` as a symlink: without this check every
 * run, its lock and its agents' files would be written wherever the link points. Every command
 * checks it before it reads or writes a run.
 */
export async function checkedOutputRoot(workspace: string, outputRoot: string): Promise<string> {
  const root = path.join(workspace, outputRoot);
  const [realWs, realRoot] = await Promise.all([realPathSoFar(workspace), realPathSoFar(root)]);
  if (!isInside(realWs, realRoot, { strict: true })) {
    throw new ConfigError(
      `The output root ${root} (setting outputRoot "${outputRoot}") resolves to ${realRoot}, outside the workspace ${realWs}. `
      + 'A symlink there (for example a committed .orchestration link) would send runs outside the workspace, so nothing is read or written through it. '
      + 'Remove the link, or set outputRoot to a folder inside the workspace.',
    );
  }
  return root;
}

/**
 * A run's folder, absolute, once the output root is checked (above) and the folder itself is no
 * symlink leaving it. The folder need not exist yet.
 */
export async function checkedRunDir(workspace: string, outputRoot: string, runId: string): Promise<string> {
  const dir = runDir(workspace, outputRoot, runId);
  const root = await checkedOutputRoot(workspace, outputRoot);
  const [realRoot, realDir] = await Promise.all([realPathSoFar(root), realPathSoFar(dir)]);
  if (!isInside(realRoot, realDir, { strict: true })) {
    throw new ConfigError(`The run folder ${dir} resolves to ${realDir}, outside the output root ${realRoot}; a symlinked run folder is not followed. Remove it.`);
  }
  return dir;
}

/** Agent ids name files (transcripts/<id>.jsonl, checks/<id>.log, asks/<id>-n.md): no separators, no dots. */
const AGENT_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/**
 * Checks what a run folder says about where its agents write, before anything executes: a
 * ledger.json shipped with the workspace may say `"outputFile": "../../../../x"`. Every agent's
 * id must be a plain name and its output file a markdown file that resolves inside the run
 * folder, with no symlink on the way leading out (the file itself included: a coordinator reads
 * its workers' files and sends them to the model). Throws a ConfigError naming the file, the
 * agent and the value.
 */
export async function confineRunPaths(dir: string, agents: ReadonlyArray<{ id: string; outputFile: string }>): Promise<void> {
  const ledgerFile = path.join(dir, 'ledger.json');
  const realDir = await fs.realpath(dir);
  for (const a of agents) {
    if (typeof a.id !== 'string' || !AGENT_ID.test(a.id)) {
      throw new ConfigError(`${ledgerFile}: agent id ${JSON.stringify(a.id)} is not a plain name (expected letters, digits, - and _); the run is not opened`);
    }
    const out = a.outputFile;
    const abs = typeof out === 'string' && !path.isAbsolute(out) && !path.win32.isAbsolute(out) ? path.resolve(dir, out) : null;
    if (!abs || !out.endsWith('.md') || !isInside(dir, abs, { strict: true })) {
      throw new ConfigError(`${ledgerFile}: agent ${a.id} has outputFile ${JSON.stringify(out)}; expected a .md file inside the run folder ${dir}. The run is not opened, so nothing is written there.`);
    }
    const real = await realPathSoFar(abs);
    if (!isInside(realDir, real, { strict: true })) {
      throw new ConfigError(`${ledgerFile}: agent ${a.id}'s output file ${out} resolves through a symlink to ${real}, outside the run folder ${realDir}. The run is not opened, so nothing is written or read there.`);
    }
  }
}

/** True when a process with this pid exists (signal 0 checks without sending anything). */
export function processAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (err) { return (err as NodeJS.ErrnoException).code === 'EPERM'; }
}

/**
 * A run whose ledger says it is running or planning but whose owning process is gone was cut
 * off (crash, kill -9, window reload): report it as interrupted so resume is offered.
 * `activeRunIds` are runs this process owns right now.
 */
export function effectiveStatus(snap: LedgerSnapshot, activeRunIds: ReadonlySet<string> = new Set()): LedgerSnapshot['status'] {
  if (snap.status !== 'running' && snap.status !== 'planning') return snap.status;
  if (activeRunIds.has(snap.runId)) return snap.status;
  if (snap.pid !== null && snap.pid !== process.pid && processAlive(snap.pid)) return snap.status;
  return 'interrupted';
}

/** A run as listed: its ledger, its effective status, and whether it was created on this machine (always set by scanRuns). */
export type ListedRun = LedgerSnapshot & { origin?: RunOrigin };

export interface ListOptions {
  /** Runs this process owns right now (they are not interrupted, whatever their pid says). */
  activeRunIds?: ReadonlySet<string>;
  /** Where the machine's secret lives (tests); by default the user's state folder. */
  stateDir?: string;
}

/** Every readable run under the output root, newest first (see scanRuns). */
export async function listRuns(workspace: string, outputRoot: string, opts: ListOptions = {}): Promise<ListedRun[]> {
  return (await scanRuns(workspace, outputRoot, opts)).runs;
}

/**
 * Every run under the output root, newest first, each marked with its origin: a run folder not
 * created on this machine (shipped in the repository) is listed, never hidden, but says so. Runs
 * whose ledger.json is damaged come apart (each error names the file; resume rebuilds it).
 * Folders without a ledger and symlinked run folders are skipped. Throws when the output root
 * leaves the workspace.
 */
export async function scanRuns(
  workspace: string, outputRoot: string, opts: ListOptions = {},
): Promise<{ runs: ListedRun[]; damaged: LedgerDamagedError[] }> {
  const root = await checkedOutputRoot(workspace, outputRoot);
  let entries: Dirent[];
  try { entries = await fs.readdir(root, { withFileTypes: true }); } catch { return { runs: [], damaged: [] }; }
  const names = entries.filter((e) => e.isDirectory() && RUN_ID_PATTERN.test(e.name)).map((e) => e.name);
  const read = await Promise.all(names.sort().reverse().map(async (n): Promise<ListedRun | LedgerDamagedError | null> => {
    try {
      const dir = path.join(root, n);
      const snap = withValidBatches(await readSnapshotFile(dir, n));
      const origin = await runOrigin({ dir, runId: n, workspace, claimedWorkspace: snap.workspace, ...(opts.stateDir ? { stateDir: opts.stateDir } : {}) });
      // A foreign ledger's pid is a process of another machine: it proves nothing here.
      const status = origin.local ? effectiveStatus(snap, opts.activeRunIds) : effectiveStatus({ ...snap, pid: null }, opts.activeRunIds);
      return { ...snap, status, origin };
    } catch (err) {
      return err instanceof LedgerDamagedError ? err : null;
    }
  }));
  return {
    runs: read.filter((r): r is ListedRun => r !== null && !(r instanceof LedgerDamagedError)),
    damaged: read.filter((r): r is LedgerDamagedError => r instanceof LedgerDamagedError),
  };
}

/** A run's snapshot. Throws LedgerDamagedError (naming the file) when it is damaged, and says "not found" only when it is missing. */
export async function readLedger(workspace: string, outputRoot: string, runId: string): Promise<LedgerSnapshot> {
  const dir = await checkedRunDir(workspace, outputRoot, runId);
  try {
    return withValidBatches(await readSnapshotFile(dir, runId));
  } catch (err) {
    if (err instanceof LedgerDamagedError) throw err;
    const file = path.join(dir, 'ledger.json');
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `Run ${runId} not found (no ${file})` : `Run ${runId}: cannot read ${file} (${code ?? (err as Error).message})`, { cause: err });
  }
}

export async function deleteRun(workspace: string, outputRoot: string, runId: string): Promise<void> {
  await fs.rm(await checkedRunDir(workspace, outputRoot, runId), { recursive: true, force: true });
}

/** Where a run came from (see origin.ts), its ledger's `workspace` named for a foreign one. */
export async function originOfRun(workspace: string, outputRoot: string, runId: string, stateDir?: string): Promise<RunOrigin> {
  const dir = await checkedRunDir(workspace, outputRoot, runId);
  // A damaged ledger names no workspace; the origin mark alone then decides.
  const claimed = await fs.readFile(path.join(dir, 'ledger.json'), 'utf8')
    .then((t) => (JSON.parse(t) as { workspace?: unknown }).workspace)
    .catch(() => null);
  return runOrigin({ dir, runId, workspace, claimedWorkspace: typeof claimed === 'string' ? claimed : null, ...(stateDir ? { stateDir } : {}) });
}
