/**
 * Finding agent definitions: the workspace's `.claude/agents/`, then the user's
 * `~/.claude/agents/`, then the workspace's `.orchestration/agents/`. The first definition of a
 * name wins; the later ones are reported as shadowed. Workspace folders are untrusted: a folder or
 * file that is a symlink leading out of where it belongs is refused, files are capped in number
 * and size, and one bad file is an error beside the others, never in their place.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseDefinition, type AgentDefinition, type DefinitionError } from './definition';

/** Where a definition came from, in order of precedence. */
export const DEFINITION_SOURCES = ['workspace', 'user', 'orchestration'] as const;
export type DefinitionSource = (typeof DEFINITION_SOURCES)[number];

/** Bytes of one definition file read at most. */
export const MAX_DEFINITION_BYTES = 64 * 1024;
/** Definition files read from one folder at most (sorted by name; the rest are reported). */
export const MAX_DEFINITION_FILES = 500;

export interface FoundDefinition extends AgentDefinition {
  origin: DefinitionSource;
}

export interface ShadowedDefinition {
  name: string;
  /** The file that lost. */
  source: string;
  origin: DefinitionSource;
  /** The file whose definition of the name is used. */
  shadowedBy: string;
}

export interface AgentCatalog {
  /** The definitions in force, by precedence then by name. */
  definitions: FoundDefinition[];
  shadowed: ShadowedDefinition[];
  errors: DefinitionError[];
  /** The folders looked in, in order, and whether each exists. */
  searched: Array<{ origin: DefinitionSource; dir: string; exists: boolean }>;
}

export interface LoadOptions {
  /** The user's home folder (tests pass their own); `os.homedir()` otherwise. Null skips it. */
  home?: string | null;
  /** The output root, where `.orchestration/agents/` lives (default `.orchestration`). */
  outputRoot?: string;
}

/** An empty catalog: what a run without definitions plans with. */
export const NO_AGENTS: AgentCatalog = { definitions: [], shadowed: [], errors: [], searched: [] };

/** Reads every definition in the three folders. Never throws for a bad file or folder; it is an error in the catalog. */
export async function loadAgentDefinitions(workspace: string, opts: LoadOptions = {}): Promise<AgentCatalog> {
  const home = opts.home === undefined ? os.homedir() : opts.home;
  const root = path.resolve(workspace);
  const dirs: Array<{ origin: DefinitionSource; dir: string; within: string }> = [
    { origin: 'workspace', dir: path.join(root, '.claude', 'agents'), within: root },
    ...(home ? [{ origin: 'user' as const, dir: path.join(path.resolve(home), '.claude', 'agents'), within: path.resolve(home) }] : []),
    { origin: 'orchestration', dir: path.join(root, opts.outputRoot ?? '.orchestration', 'agents'), within: root },
  ];
  const catalog: AgentCatalog = { definitions: [], shadowed: [], errors: [], searched: [] };
  const byName = new Map<string, FoundDefinition>();
  const seen = new Set<string>();
  for (const d of dirs) {
    // The home folder may be the workspace (or hold it): one folder is read once, at its first place.
    const real = await fs.realpath(d.dir).catch(() => d.dir);
    if (seen.has(real)) continue;
    seen.add(real);
    const files = await listFolder(d.dir, d.within, catalog.errors);
    catalog.searched.push({ origin: d.origin, dir: d.dir, exists: files !== null });
    for (const file of files ?? []) {
      const text = await readDefinitionFile(file.abs, file.realDir, catalog.errors);
      if (text === null) continue;
      const parsed = parseDefinition(text, file.abs);
      if (!parsed.ok) { catalog.errors.push(parsed.error); continue; }
      const def: FoundDefinition = { ...parsed.definition, origin: d.origin };
      const first = byName.get(def.name);
      if (first) {
        catalog.shadowed.push({ name: def.name, source: def.source, origin: def.origin, shadowedBy: first.source });
        continue;
      }
      byName.set(def.name, def);
      catalog.definitions.push(def);
    }
  }
  return catalog;
}

/**
 * The `.md` files of a definitions folder, sorted, or null when there is no folder. The folder's
 * real path must stay inside `within` (a `.claude` symlinked to elsewhere on the machine is not
 * the workspace's), and each file is checked against the folder's real path when it is read.
 */
async function listFolder(dir: string, within: string, errors: DefinitionError[]): Promise<Array<{ abs: string; realDir: string }> | null> {
  let realDir: string;
  try {
    realDir = await fs.realpath(dir);
  } catch {
    return null;
  }
  const realWithin = await fs.realpath(within).catch(() => within);
  if (!inside(realWithin, realDir)) {
    errors.push({ file: dir, line: 1, column: 1, message: `expected a folder inside ${within}; found a link to ${realDir}, which is not read` });
    return null;
  }
  let names: string[];
  try {
    names = (await fs.readdir(realDir)).filter((n) => n.endsWith('.md') && !n.startsWith('.')).sort();
  } catch (err) {
    errors.push({ file: dir, line: 1, column: 1, message: `the folder could not be read: ${err instanceof Error ? err.message : String(err)}` });
    return null;
  }
  if (names.length > MAX_DEFINITION_FILES) {
    errors.push({ file: dir, line: 1, column: 1, message: `expected at most ${MAX_DEFINITION_FILES} definitions in one folder; found ${names.length}, so ${names.length - MAX_DEFINITION_FILES} after ${names[MAX_DEFINITION_FILES - 1]} are not read` });
    names = names.slice(0, MAX_DEFINITION_FILES);
  }
  return names.map((n) => ({ abs: path.join(dir, n), realDir }));
}

/** One file's text, or null (with an error) when it leaves its folder, is not a file or is too big. */
async function readDefinitionFile(abs: string, realDir: string, errors: DefinitionError[]): Promise<string | null> {
  const fail = (message: string): null => { errors.push({ file: abs, line: 1, column: 1, message }); return null; };
  let real: string;
  try {
    real = await fs.realpath(abs);
  } catch {
    return fail('expected a file; found a broken link');
  }
  if (!inside(realDir, real)) return fail(`expected a file inside its agents folder; found a link to ${real}, which is not read`);
  const handle = await fs.open(real, 'r').catch(() => null);
  if (!handle) return fail('the file could not be opened');
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) return fail('expected a file; found something else');
    if (stat.size > MAX_DEFINITION_BYTES) return fail(`expected at most ${MAX_DEFINITION_BYTES / 1024} KiB; found ${Math.ceil(stat.size / 1024)} KiB`);
    const buf = Buffer.alloc(stat.size);
    const { bytesRead } = await handle.read(buf, 0, stat.size, 0);
    const text = buf.subarray(0, bytesRead).toString('utf8');
    if (text.includes('\u0000')) return fail('expected a text file; found binary content');
    return text;
  } finally {
    await handle.close();
  }
}

const inside = (parent: string, child: string): boolean => {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
};
