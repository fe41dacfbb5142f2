import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { writeFileAtomic } from '../../files';
import { childEnv, redact } from '../../redact';

export interface CheckResult {
  ok: boolean;
  /** Exit code, or null when it was killed (timeout, cancel). */
  code: number | null;
  timedOut: boolean;
  /** The end of the output, what a retry prompt carries (redacted, like the log). */
  tail: string;
  ms: number;
  /** Secrets withheld from the output (the log and the tail are cut from the same redacted text). */
  redactions: number;
}

/** What a check keeps of its output in memory and in checks/<id>.log. */
const MAX_LOG = 256 * 1024;
const TAIL = 4_000;

/**
 * Runs the user's verification command in a builder's worktree. The engine runs it, never the
 * model: it is the user's own command from a setting (VS Code passes it only in a trusted
 * workspace), run through the platform shell so `npm test && npm run lint` works as typed. The
 * whole output (bounded) goes to `logFile`; the process tree is killed on timeout or cancel.
 * The command gets no credentials in its environment (`childEnv`), and its output is redacted
 * before it is written or handed back: the log is in the run folder, the tail goes to the model.
 */
export async function runCheck(o: { command: string; cwd: string; timeoutMs: number; logFile: string; signal: AbortSignal }): Promise<CheckResult> {
  const started = Date.now();
  const chunks: Buffer[] = [];
  let size = 0;
  const child = spawn(o.command, {
    cwd: o.cwd, shell: true, detached: process.platform !== 'win32', stdio: ['ignore', 'pipe', 'pipe'],
    env: childEnv({ CI: 'true', FORCE_COLOR: '0' }),
  });
  const keep = (b: Buffer): void => {
    if (size < MAX_LOG) { chunks.push(b.subarray(0, MAX_LOG - size)); size += Math.min(b.length, MAX_LOG - size); }
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let timedOut = false;
  const kill = (): void => {
    try {
      // detached: the command is a process group leader, so its children (test runners) die with it.
      if (child.pid !== undefined && process.platform !== 'win32') process.kill(-child.pid, 'SIGKILL');
      else child.kill('SIGKILL');
    } catch { /* already gone */ }
  };
  const timer = setTimeout(() => { timedOut = true; kill(); }, o.timeoutMs);
  o.signal.addEventListener('abort', kill, { once: true });
  const code = await new Promise<number | null>((resolve) => {
    child.on('error', (err) => { keep(Buffer.from(`\n${err.message}\n`)); resolve(null); });
    child.on('close', (c) => resolve(c));
  });
  clearTimeout(timer);
  o.signal.removeEventListener('abort', kill);
  const { text: output, count: redactions } = redact(Buffer.concat(chunks).toString('utf8'));
  const ms = Date.now() - started;
  const verdict = timedOut ? `timed out after ${Math.round(o.timeoutMs / 1000)} s` : `exit code ${code ?? 'none (killed)'}`;
  await writeFileAtomic(o.logFile, `$ ${o.command}\n# in ${path.basename(o.cwd)}, ${verdict}, ${ms} ms${size >= MAX_LOG ? `, output cut at ${MAX_LOG} bytes` : ''}\n\n${output}`);
  return { ok: !timedOut && code === 0, code, timedOut, tail: output.length > TAIL ? `…${output.slice(-TAIL)}` : output, ms, redactions };
}
