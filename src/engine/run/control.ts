/**
 * The control channel of a run executing in another process (`orchestrate stop` while VS Code or
 * another CLI runs it): a request is a small JSON file in `<run>/control/`, written atomically;
 * the owning process polls the folder while it executes, carries the request out, deletes it
 * and writes a reply beside it. Only `stop` travels this way: it changes nothing but one agent's
 * fate, and the owner checks it like its own user's click. Anything that would run agents stays
 * with the process that owns the run.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { writeFileAtomic } from '../files';
import type { Disposable } from '../types';

export const CONTROL_DIR = 'control';
const REQUEST_SUFFIX = '.req.json';
const REPLY_SUFFIX = '.reply.json';
/** A request older than this was left by a requester that gave up (or a crash): it is dropped, not carried out. */
const MAX_REQUEST_AGE_MS = 30_000;

export const ControlRequestSchema = z.object({
  command: z.literal('stop'),
  agentId: z.string().min(1).max(100),
  /** The requesting process, for the record. */
  from: z.number().int(),
  t: z.string(),
}).strict();
export type ControlRequest = z.infer<typeof ControlRequestSchema>;

export interface ControlReply { ok: boolean; message: string }

/**
 * Polls `<runDir>/control/` every `intervalMs` for requests and answers each with `handle`.
 * A malformed or stale request is answered with why and removed.
 */
export function watchControl(runDir: string, handle: (req: ControlRequest) => ControlReply, opts: { intervalMs?: number } = {}): Disposable {
  const dir = path.join(runDir, CONTROL_DIR);
  let busy = false;
  let disposed = false;
  const tick = async (): Promise<void> => {
    if (busy || disposed) return;
    busy = true;
    try {
      let names: string[];
      try { names = await fs.readdir(dir); } catch { return; }
      for (const name of names.filter((n) => n.endsWith(REQUEST_SUFFIX)).sort()) {
        const file = path.join(dir, name);
        let raw: string;
        try {
          raw = await fs.readFile(file, 'utf8');
          await fs.unlink(file); // taken: the requester now waits for the reply
        } catch { continue; } // withdrawn meanwhile
        const reply = answer(raw, handle);
        await writeFileAtomic(path.join(dir, name.slice(0, -REQUEST_SUFFIX.length) + REPLY_SUFFIX), JSON.stringify(reply)).catch(() => undefined);
      }
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => { void tick(); }, opts.intervalMs ?? 300);
  timer.unref?.();
  return { dispose: () => { disposed = true; clearInterval(timer); } };
}

function answer(raw: string, handle: (req: ControlRequest) => ControlReply): ControlReply {
  let json: unknown;
  try { json = JSON.parse(raw); } catch { return { ok: false, message: 'the request is not valid JSON' }; }
  const parsed = ControlRequestSchema.safeParse(json);
  if (!parsed.success) return { ok: false, message: `the request is malformed: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}` };
  const age = Date.now() - Date.parse(parsed.data.t);
  if (!(age <= MAX_REQUEST_AGE_MS)) return { ok: false, message: `the request is ${Math.round(age / 1000)} s old; ignored` };
  try {
    return handle(parsed.data);
  } catch (err) {
    return { ok: false, message: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * Sends a request to the process executing the run and waits up to `timeoutMs` for its reply.
 * When none comes, the request is withdrawn (so no later execution acts on it) and null is
 * returned; if the owner had already taken it, its reply is waited for a little longer.
 */
export async function sendControl(runDir: string, req: Omit<ControlRequest, 'from' | 't'>, opts: { timeoutMs?: number; pollMs?: number } = {}): Promise<ControlReply | null> {
  const dir = path.join(runDir, CONTROL_DIR);
  const stem = `${Date.now()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const requestFile = path.join(dir, stem + REQUEST_SUFFIX);
  const replyFile = path.join(dir, stem + REPLY_SUFFIX);
  await fs.mkdir(dir, { recursive: true });
  await writeFileAtomic(requestFile, JSON.stringify({ ...req, from: process.pid, t: new Date().toISOString() }));
  const poll = opts.pollMs ?? 100;
  const waitReply = async (ms: number): Promise<ControlReply | null> => {
    for (const end = Date.now() + ms; Date.now() < end;) {
      try {
        const text = await fs.readFile(replyFile, 'utf8');
        await fs.unlink(replyFile).catch(() => undefined);
        const r = JSON.parse(text) as ControlReply;
        return { ok: r.ok === true, message: String(r.message) };
      } catch { /* not yet */ }
      await new Promise((resolve) => setTimeout(resolve, poll));
    }
    return null;
  };
  const reply = await waitReply(opts.timeoutMs ?? 5_000);
  if (reply) return reply;
  try {
    await fs.unlink(requestFile);
    return null; // withdrawn: nobody took it
  } catch {
    return (await waitReply(2_000)) ?? { ok: false, message: 'the owning process took the request but did not answer' };
  }
}
