import { z } from 'zod';
import { refusalReason } from '../../tools/pathGuard';
import { AgentFieldSchema, unknownAgentErrors } from '../../agents/catalog';
import { TIERS } from '../../types';
import { scopeErrors } from '../fan-out/plan';
import { withinFocus, type BasePlan, type PlanningContext } from '../pattern';

export const BUILD_SCOUTS = { min: 1, max: 6 } as const;
export const BUILD_BUILDERS = { min: 1, max: 8 } as const;
/** Files one builder may own: more than this is a plan that should have more builders. */
export const MAX_OWNED = 40;

export const ScoutSpecSchema = z.object({
  id: z.string().regex(/^s[1-9][0-9]?$/, 'scout id is s and a number, like s1'),
  /** What to find: the files and lines the change touches in this scope. */
  task: z.string().trim().min(8, 'task must say what to find (8+ characters)').max(600),
  scope: z.array(z.string().trim().min(1)).max(20).default([]),
}).strict();

export const BuilderSpecSchema = z.object({
  id: z.string().regex(/^b[1-9][0-9]?$/, 'builder id is b and a number, like b1'),
  /** The change this builder makes to the files it owns. */
  task: z.string().trim().min(8, 'task must say what to change (8+ characters)').max(1_200),
  /** Workspace-relative files only this builder may write (new files included); no two builders share one. */
  owns: z.array(z.string().trim().min(1)).min(1, 'a builder owns at least one file').max(MAX_OWNED),
  tier: z.enum(TIERS),
  // Fix Findings (a build started from an audit's findings):
  /** The ids of the findings (findings.json) this builder's change fixes, `F1` …; empty when the build fixes none. */
  addresses: z.array(z.string().regex(/^F[1-9][0-9]{0,3}$/, 'a finding id is F and a number, like F1')).max(50).optional(),
  /** The user's agent definition this builder runs as (`.claude/agents/<name>.md`). */
  agent: AgentFieldSchema,
}).strict();

// ── Greenfield (issue 17 item 5): new work gets an architect before approval and a scaffold after it.
/**
 * The planner's signal that the task creates something new ("Build a small billing service"). The
 * engine also turns greenfield on by itself when the repository holds next to nothing to change
 * (see `isGreenfieldRepo` in architect.ts), so a planner that forgets cannot skip the architect.
 */
const GREENFIELD_SUBMIT = {
  greenfield: z.boolean().default(false),
};
/** What the engine adds for greenfield once the builders are assigned. */
const GREENFIELD_EXTRAS = {
  /**
   * Files only the scaffold writes (package manifest, shared types): builders read them and build
   * against them, but own none of them. The scaffold also creates the empty module files inside
   * the builders' paths.
   */
  shared: z.array(z.string().trim().min(1)).max(MAX_OWNED).default([]),
};
/** An owned entry ending in "/" is a folder: the builder may create any file below it (greenfield only). */
export const isOwnedFolder = (p: string): boolean => /[\\/]$/.test(p);
/** A planner's owned path as stored: `ownedKey`, keeping a folder's trailing "/" when folders are allowed. */
export const ownedEntry = (p: string, folders: boolean): string => (folders && isOwnedFolder(p) ? `${ownedKey(p)}/` : ownedKey(p));
/** Whether `file` (workspace-relative) falls under one of `owns` (files, or folders ending in "/"). */
export function ownsFile(owns: readonly string[], file: string): boolean {
  const f = ownedKey(file);
  return owns.some((o) => (isOwnedFolder(o) ? f.startsWith(`${ownedKey(o)}/`) : ownedKey(o) === f));
}

/** What the planner submits first: the change and the scouts that find where it lands. */
export const BuildSubmitSchema = z.object({
  /** The change in a few sentences, as builders and reviewers should understand it. */
  brief: z.string().trim().max(1_500).default(''),
  scouts: z.array(ScoutSpecSchema),
  ...GREENFIELD_SUBMIT,
});

/** What the engine adds once the scouts reported: the builders the planner assigned, and the commit they start from. */
export const BUILD_EXTRAS = {
  builders: z.array(BuilderSpecSchema).default([]),
  /** The workspace's HEAD when the builders were planned: every builder's branch starts here. */
  base: z.string().regex(/^([0-9a-f]{40}|[0-9a-f]{64})?$/, 'base is a full commit id').default(''),
  ...GREENFIELD_EXTRAS,
};

export type ScoutSpec = z.infer<typeof ScoutSpecSchema>;
export type BuilderSpec = z.infer<typeof BuilderSpecSchema>;
/** greenfield and shared are optional in the type: plans read before greenfield existed, and plans built in code, lack them. */
export type BuildPlan = Omit<z.infer<typeof BuildSubmitSchema>, 'greenfield'> & { builders: BuilderSpec[]; base: string; greenfield?: boolean; shared?: string[] } & BasePlan;

/** The scouts' checks: 1–6 with unique ids and scopes that exist inside the focus. */
export function validateBuild(plan: BuildPlan, ctx: PlanningContext): string[] {
  const errors: string[] = [];
  const n = plan.scouts.length;
  if (n < BUILD_SCOUTS.min || n > BUILD_SCOUTS.max) {
    errors.push(`The build has ${n} scouts; between ${BUILD_SCOUTS.min} and ${BUILD_SCOUTS.max} are allowed`);
  }
  const ids = new Set<string>();
  for (const s of plan.scouts) {
    if (ids.has(s.id)) errors.push(`Scout id "${s.id}" is used twice`);
    ids.add(s.id);
    errors.push(...scopeErrors(`Scout "${s.id}"`, s.scope, ctx));
  }
  if (ctx.findings) errors.push(...findingsScoutErrors(plan.scouts, ctx));
  if (plan.builders.length) errors.push(...validateBuilders(plan.builders, ctx));
  if (plan.greenfield) errors.push(...sharedErrors(plan.shared ?? [], plan.builders, ctx));
  else errors.push(...plan.builders.flatMap((b) => b.owns.filter((o) => isOwnedFolder(o.trim())).map((o) => `Builder "${b.id}" owns "${o}", a folder; only a greenfield build's builders own folders, so list the files instead`)));
  return errors;
}

/** Covered by a scope: the scope itself, or a folder above it. */
const covers = (scope: string, file: string): boolean => {
  const s = ownedKey(scope);
  return s === '' || s === '.' || file === s || file.startsWith(`${s}/`);
};

/** Fix Findings: scouts start from the findings, so every existing file a finding cites is in some scout's scope. */
function findingsScoutErrors(scouts: readonly ScoutSpec[], ctx: PlanningContext): string[] {
  const errors: string[] = [];
  for (const f of ctx.findings ?? []) {
    if (!f.file || !ctx.scopeExists(f.file) || !withinFocus(f.file, ctx.focus)) continue;
    if (!scouts.some((s) => s.scope.some((sc) => covers(sc, ownedKey(f.file!))))) {
      errors.push(`Finding ${f.id} cites "${f.file}", which no scout's scope covers; scope the scouts to the files the findings cite`);
    }
  }
  return errors;
}

/** Fix Findings: a builder addresses only findings the build was given. */
function addressErrors(b: BuilderSpec, ctx: PlanningContext): string[] {
  if (!ctx.findings) return [];
  const known = new Set(ctx.findings.map((f) => f.id));
  return (b.addresses ?? []).filter((id) => !known.has(id)).map((id) => `Builder "${b.id}" addresses "${id}", which is not one of the findings (${[...known].join(', ')})`);
}

/** A path as owners compare it: '/'-separated, no leading `./`, no trailing slash. */
export const ownedKey = (p: string): string => p.replace(/\\/g, '/').replace(/^(\.\/)+/, '').replace(/\/+$/, '');

/**
 * The builders' checks: 1–8 with unique ids, each owning files no other builder owns (the
 * engine's guarantee that parallel builders cannot overwrite each other), inside the focus, and
 * writable at all (not `.git/`, `node_modules/`, the output root or a secret).
 */
export function validateBuilders(builders: readonly BuilderSpec[], ctx: PlanningContext): string[] {
  // A greenfield entry ending in "/" owns a whole new folder (ownedEntry keeps the slash); the
  // checks below compare it by its folder path, so a folder and a file inside it are two owners.
  const errors: string[] = [];
  const n = builders.length;
  if (n < BUILD_BUILDERS.min || n > BUILD_BUILDERS.max) {
    errors.push(`The build has ${n} builders; between ${BUILD_BUILDERS.min} and ${BUILD_BUILDERS.max} are allowed`);
  }
  const ids = new Set<string>();
  const owner = new Map<string, string>();
  const folders = new Set<string>();
  for (const b of builders) {
    if (ids.has(b.id)) errors.push(`Builder id "${b.id}" is used twice`);
    ids.add(b.id);
    errors.push(...addressErrors(b, ctx));
    errors.push(...unknownAgentErrors(`Builder "${b.id}"`, b.agent, ctx.agentDefinitions));
    for (const raw of b.owns) {
      const f = ownedKey(raw);
      const folded = f.toLowerCase();
      if (f === '' || f === '.' || f.split('/').includes('..') || /^([a-zA-Z]:)?\//.test(f)) {
        errors.push(`Builder "${b.id}" owns "${raw}": owned files are workspace-relative paths without ".."`);
        continue;
      }
      const refused = refusalReason(f, ctx.config.outputRoot, { secretFiles: ctx.config.secretFiles, isDir: raw.endsWith('/') });
      if (refused) { errors.push(`Builder "${b.id}" owns "${raw}", which ${refused}; builders may not write it`); continue; }
      if (!withinFocus(f, ctx.focus)) errors.push(`Builder "${b.id}" owns "${raw}", outside the focus (${ctx.focus.join(', ')})`);
      const first = owner.get(folded);
      if (first !== undefined && first !== b.id) errors.push(`"${raw}" is owned by both "${first}" and "${b.id}"; every file has exactly one owner`);
      else if (first === b.id) errors.push(`Builder "${b.id}" lists "${raw}" twice`);
      else owner.set(folded, b.id);
      if (isOwnedFolder(raw.trim())) folders.add(folded);
    }
  }
  // A file owned as `lib` and another as `lib/x.js` cannot both exist: the merge would conflict.
  for (const [f, id] of owner) {
    const parts = f.split('/');
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join('/');
      const other = owner.get(parent);
      if (other === undefined) continue;
      errors.push(folders.has(parent)
        ? `"${parent}/" (owned by "${other}") already holds "${f}" (owned by "${id}"); every file has exactly one owner`
        : `"${parent}" (owned by "${other}") is a folder of "${f}" (owned by "${id}"); an owned path is a file`);
    }
  }
  return errors;
}

/**
 * The scaffold's own files (greenfield): writable, inside the focus, unique, and owned by no
 * builder (a shared file a builder could change would break every other builder's build).
 */
export function sharedErrors(shared: readonly string[], builders: readonly BuilderSpec[], ctx: PlanningContext): string[] {
  const errors: string[] = [];
  const seen = new Set<string>();
  for (const raw of shared) {
    const f = ownedKey(raw);
    if (f === '' || f === '.' || f.split('/').includes('..') || /^([a-zA-Z]:)?\//.test(f) || isOwnedFolder(raw.trim())) {
      errors.push(`Shared file "${raw}": shared files are workspace-relative file paths without ".."`);
      continue;
    }
    const refused = refusalReason(f, ctx.config.outputRoot, { secretFiles: ctx.config.secretFiles });
    if (refused) { errors.push(`Shared file "${raw}" ${refused}; the scaffold may not write it`); continue; }
    if (!withinFocus(f, ctx.focus)) errors.push(`Shared file "${raw}" is outside the focus (${ctx.focus.join(', ')})`);
    if (seen.has(f.toLowerCase())) errors.push(`Shared file "${raw}" is listed twice`);
    seen.add(f.toLowerCase());
    const owner = builders.find((b) => ownsFile(b.owns, f));
    if (owner) errors.push(`Shared file "${raw}" is also owned by "${owner.id}"; a shared file belongs to the scaffold alone`);
  }
  return errors;
}
