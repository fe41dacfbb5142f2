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
import { listUntrustedFolder, readUntrustedFile, type FolderBounds } from '../trust/untrustedFolder';

/** Where a definition came from, in order of precedence. */
export const DEFINITION_SOURCES = ['workspace', 'user', 'orchestration'] as const;
export type DefinitionSource = (typeof DEFINITION_SOURCES)[number];

/** Bytes of one definition file read at most. */
export const MAX_DEFINITION_BYTES = 64 * 1024;
/** Definition files read from one folder at most (sorted by name; the rest are reported). */
export const MAX_DEFINITION_FILES = 500;
const DEFINITION_FOLDER: FolderBounds = { accepts: (n) => n.endsWith('.md'), maxFiles: MAX_DEFINITION_FILES, what: 'definitions', folder: 'agents folder' };

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
    const files = await listUntrustedFolder(d.dir, d.within, DEFINITION_FOLDER, catalog.errors);
    catalog.searched.push({ origin: d.origin, dir: d.dir, exists: files !== null });
    for (const file of files ?? []) {
      const text = await readUntrustedFile(file, MAX_DEFINITION_BYTES, catalog.errors);
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
