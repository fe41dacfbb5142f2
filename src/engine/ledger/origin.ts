/**
 * Where a run folder came from. A repository can ship a run folder (ledger, plan, events) that
 * looks interrupted; resuming it would run a plan the repository wrote, on the user's key. So the
 * engine marks each run it creates with `origin.json`: an HMAC of the run id and the folder it was
 * created in, keyed by a per-machine secret kept in the user's state folder, outside any
 * workspace. A repository cannot forge the mark without that secret; a copied or moved folder
 * no longer matches its place. A run without a valid mark is foreign: listed, but resumed only
 * after a warning naming where it came from.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import * as path from 'node:path';
import { writeFileAtomic } from '../files';
import { isInside } from '../paths';
import { z } from 'zod';
import { userStateDir } from '../trust/userState';

/**
 * origin.json as read back (a run folder is untrusted: a repository can ship one). A field of the
 * wrong shape counts as missing, and a mark without a valid `mac` vouches for nothing.
 */
const MarkSchema = z.object({
  runId: z.string().optional().catch(undefined),
  createdIn: z.string().refine((p) => path.isAbsolute(p)).optional().catch(undefined),
  host: z.string().optional().catch(undefined),
  mac: z.string().regex(/^[0-9a-f]{64}$/).optional().catch(undefined),
});

export const ORIGIN_FILE = 'origin.json';
const KEY_FILE = 'machine.key';

export type RunOrigin =
  | { local: true }
  | {
    local: false;
    /** Why it counts as foreign and where it came from, in one sentence a warning can show as is. */
    reason: string;
    /** The workspace its ledger or origin mark names (unverified unless `movedFrom` is set). */
    claimedWorkspace: string | null;
    /** Set when the mark is this machine's own, made for another folder: the run was copied or moved from there. */
    movedFrom: string | null;
  };

const keys = new Map<string, Promise<Buffer | null>>();

/**
 * The machine's secret (32 random bytes, mode 0600), created on first use. Two processes creating
 * it at once agree: each writes a temp file and links it into place, and the loser reads the
 * winner's. Null when it cannot be read or made (a read-only home): every run then counts as foreign.
 */
function machineKey(stateDir: string): Promise<Buffer | null> {
  const file = path.join(stateDir, KEY_FILE);
  let key = keys.get(file);
  if (!key) {
    key = loadOrCreateKey(stateDir, file);
    keys.set(file, key);
    // A failure is not cached: the folder may become writable.
    void key.then((k) => { if (!k) keys.delete(file); });
  }
  return key;
}

async function loadOrCreateKey(stateDir: string, file: string): Promise<Buffer | null> {
  const read = async (): Promise<Buffer | null> => {
    const k = await fs.readFile(file).catch(() => null);
    return k && k.length >= 32 ? k : null;
  };
  const existing = await read();
  if (existing) return existing;
  try {
    await fs.mkdir(stateDir, { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await fs.writeFile(tmp, randomBytes(32), { mode: 0o600, flag: 'wx' });
    try {
      await fs.link(tmp, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      await fs.rm(tmp, { force: true });
    }
  } catch {
    return null;
  }
  return read();
}

/** The folder's real path: the same run reached through a symlinked parent (/tmp on macOS) is the same place. */
const realDir = (dir: string): Promise<string> => fs.realpath(dir).catch(() => path.resolve(dir));

function macOf(key: Buffer, runId: string, dir: string): Buffer {
  return createHmac('sha256', key).update(`run-origin v1\0${runId}\0${path.resolve(dir)}`).digest();
}

export interface OriginOptions {
  /** The run's folder, absolute. */
  dir: string;
  runId: string;
  /** The workspace the command runs on: a secret kept inside it could have come with it. */
  workspace: string;
  /** The state folder holding the machine's secret (tests); by default userStateDir(). */
  stateDir?: string;
}

/** The secret's folder, unless it lies inside the workspace (where a repository could have put it). */
function trustedStateDir(opts: OriginOptions): string | null {
  const stateDir = path.resolve(opts.stateDir ?? userStateDir());
  return isInside(opts.workspace, stateDir) ? null : stateDir;
}

/**
 * Marks a run folder as created on this machine. Best effort: without a usable secret the run is
 * made anyway and will only count as foreign (a warning before resuming it), so this returns
 * false rather than failing the run.
 */
export async function markCreatedHere(opts: OriginOptions): Promise<boolean> {
  const stateDir = trustedStateDir(opts);
  const key = stateDir ? await machineKey(stateDir) : null;
  if (!key) return false;
  const dir = await realDir(opts.dir);
  const mark = { runId: opts.runId, createdIn: dir, host: os.hostname(), mac: macOf(key, opts.runId, dir).toString('hex') };
  await writeFileAtomic(path.join(dir, ORIGIN_FILE), JSON.stringify(mark, null, 1) + '\n');
  return true;
}

/**
 * Whether a run folder was created on this machine, in this very place. `claimedWorkspace` (the
 * ledger's `workspace`) is only used to say where a foreign run claims to come from.
 */
export async function runOrigin(opts: OriginOptions & { claimedWorkspace?: string | null }): Promise<RunOrigin> {
  const dir = await realDir(opts.dir);
  const claimed = typeof opts.claimedWorkspace === 'string' && opts.claimedWorkspace ? opts.claimedWorkspace : null;
  const from = claimed ? `; its ledger says it was created in ${claimed}` : '';
  const foreign = (reason: string, movedFrom: string | null = null): RunOrigin => ({ local: false, reason, claimedWorkspace: movedFrom ?? claimed, movedFrom });
  let raw: unknown;
  try {
    raw = JSON.parse(await fs.readFile(path.join(dir, ORIGIN_FILE), 'utf8'));
  } catch {
    return foreign(`Run ${opts.runId} in ${dir} was not created on this machine: it has no origin mark (${ORIGIN_FILE}), so it came with the workspace (for example from the repository) or from an older version${from}.`);
  }
  const stateDir = trustedStateDir(opts);
  const key = stateDir ? await machineKey(stateDir) : null;
  if (!key) {
    return foreign(`Run ${opts.runId} in ${dir} cannot be checked: this machine's secret (${path.join(stateDir ?? path.resolve(opts.stateDir ?? userStateDir()), KEY_FILE)}) is unreadable${stateDir ? '' : ' or lies inside the workspace'}${from}.`);
  }
  const parsed = MarkSchema.safeParse(raw);
  const mark = parsed.success ? parsed.data : {};
  const given = mark.mac ? Buffer.from(mark.mac, 'hex') : null;
  const matches = (place: string): boolean => given !== null && timingSafeEqual(given, macOf(key, opts.runId, place));
  if (mark.runId === opts.runId && matches(dir)) return { local: true };
  if (mark.runId === opts.runId && mark.createdIn && matches(mark.createdIn)) {
    return foreign(`Run ${opts.runId} in ${dir} was created on this machine in ${mark.createdIn} and copied or moved here, so what it holds now is not vouched for.`, mark.createdIn);
  }
  const host = mark.host && mark.host !== os.hostname() ? ` on host ${mark.host}` : '';
  return foreign(`Run ${opts.runId} in ${dir} was not created on this machine: its origin mark was made with another machine's secret${host} (it came with the workspace, for example from the repository)${from}.`);
}
