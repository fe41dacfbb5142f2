/**
 * Hardening (DESIGN §4d): auditors over the combined change, one per concern (security,
 * correctness, tests, style), each returning findings with a severity through a forced,
 * zod-checked `submit_findings` call. Their requests share one prefix (tools, system, the combined
 * diff) with the concern last, so three of the four read the diff from the prompt cache.
 */
import * as path from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../../files';
import { diffFiles, patchBetween, repoInfo, type FileChange } from '../../git';
import type { ToolDefinition } from '../../model/client';
import { SENTINEL, type AgentRecord } from '../../types';
import { forcedToolCall } from '../kit';
import type { AttemptResult, RoleContext } from '../pattern';
import { readIntegration } from './integration';
import { HARDEN_CONCERNS, HardenFindingSchema, hardenerId, readRunJson, SEVERITIES, type HardenConcern, type HardenFinding } from '../../pipelineFiles';
import { ownsFile, type BuildPlan } from './plan';
import { plural } from '../../../shared/words';

type Ctx = RoleContext<BuildPlan>;

export const FINDINGS_TOOL = 'submit_findings';
export const HARDENER_IDS: readonly string[] = HARDEN_CONCERNS.map(hardenerId);
/** The zod-checked findings of one hardener (what the tally reads back). */
export const hardenJson = (id: string): string => `harden/${id}.json`;
/** How much of the combined diff the auditors read; a longer one is cut with a note. */
const DIFF_CHARS = 100_000;

export const SubmitFindingsSchema = z.object({
  /** One sentence: what this auditor makes of the change for its concern. */
  summary: z.string().trim().min(1).max(800),
  findings: z.array(z.object({
    severity: z.enum(SEVERITIES),
    file: z.string().trim().min(1).max(500).nullable().default(null),
    line: z.number().int().min(1).nullable().default(null),
    text: z.string().trim().min(1).max(1_500),
  })).max(30).default([]),
});

/** What a hardener stored: its summary and its findings, as the tally takes them. */
export const StoredFindingsSchema = z.object({ summary: z.string(), findings: z.array(HardenFindingSchema) });
export type StoredFindings = z.infer<typeof StoredFindingsSchema>;

const findingsTool: ToolDefinition = (() => {
  const schema = z.toJSONSchema(SubmitFindingsSchema, { target: 'draft-7', io: 'input' }) as Record<string, unknown>;
  delete schema.$schema;
  return { name: FINDINGS_TOOL, description: 'Submit your findings on the combined change for your concern (an empty list when there are none).', input_schema: schema };
})();

export const concernOf = (agentId: string): HardenConcern => {
  const c = agentId.replace(/^h-/, '');
  if (!(HARDEN_CONCERNS as readonly string[]).includes(c)) throw new Error(`${agentId} is not a hardener id (h-${HARDEN_CONCERNS.join(', h-')})`);
  return c as HardenConcern;
};

/** The builder that owns a file, by the plan. */
export const ownerOf = (plan: BuildPlan, file: string | null): string | null =>
  file === null ? null : plan.builders.find((b) => ownsFile(b.owns, file))?.id ?? null;

/**
 * The prompt cache is written when the first response arrives, so four requests sent at once
 * would each write the shared prefix. The first auditor of a change sends alone; the others wait
 * for its response (or failure), then go in parallel and read the prefix. Keyed by run and commit.
 */
const warmups = new Map<string, Promise<void>>();

async function warmedSend<T>(key: string | null, send: () => Promise<T>): Promise<T> {
  if (key === null) return send();
  const first = warmups.get(key);
  if (first) {
    await first;
    return send();
  }
  let done!: () => void;
  warmups.set(key, new Promise<void>((resolve) => { done = resolve; }));
  if (warmups.size > 64) warmups.delete(warmups.keys().next().value!);
  try {
    return await send();
  } finally {
    done();
  }
}

/** The combined change of a run at a commit, computed once for the four auditors that read it at once. */
const changes = new Map<string, Promise<{ files: FileChange[]; patch: string }>>();

function combinedChange(ctx: Ctx, ref: string): Promise<{ files: FileChange[]; patch: string }> {
  const key = `${ctx.runDir}\n${ctx.plan.base}\n${ref}`;
  let p = changes.get(key);
  if (!p) {
    p = (async () => {
      const repo = await repoInfo(ctx.workspace);
      const [files, patch] = await Promise.all([diffFiles(repo.root, ctx.plan.base, ref), patchBetween(repo.root, ctx.plan.base, ref)]);
      return { files, patch };
    })();
    // A failed read is not kept: the next auditor (or a retry) reads again.
    p.catch(() => changes.delete(key));
    changes.set(key, p);
    if (changes.size > 16) changes.delete(changes.keys().next().value!);
  }
  return p;
}

/**
 * A hardener: reads the combined change (base → the integration branch as the check left it) and
 * submits findings for its concern. Writes `harden/<id>.json` (the tally's input) and
 * `harden/<id>.md`. Nothing merged → nothing to audit, at no cost.
 */
export async function attemptHardener(ctx: Ctx, agent: AgentRecord, previousError: string | null, signal: AbortSignal): Promise<AttemptResult> {
  const concern = concernOf(agent.id);
  const state = await readIntegration(ctx.runDir);
  if (!state || state.status === 'nothing-merged') {
    await store(ctx, agent, concern, { summary: 'Nothing was merged, so there is no change to audit.', findings: [] });
    return { ok: true, returned: 'Nothing to audit: no change was merged.' };
  }
  const { files, patch } = await combinedChange(ctx, state.ref);
  const added = files.reduce((n, f) => n + f.added, 0);
  const removed = files.reduce((n, f) => n + f.removed, 0);
  const system = ctx.prompts.render('build/hardener', {});
  const shared = ctx.prompts.render('build/hardener-shared', {
    task: ctx.plan.task, brief: ctx.plan.brief || '(none)', stat: `${plural(files.length, 'file')}, +${added} −${removed}`,
    diff: patch.length > DIFF_CHARS ? `${patch.slice(0, DIFF_CHARS)}\n[diff cut at ${DIFF_CHARS} characters]` : patch,
  });
  const user = ctx.prompts.render('build/hardener-user', {
    concern, agentId: agent.id, retryNote: previousError ? `\n(Your previous attempt failed: ${previousError})\n` : '',
  });
  const cache = ctx.config.promptCaching ? { cache_control: { type: 'ephemeral' as const } } : {};
  const parsed = await forcedToolCall(ctx, agent, signal, {
    system: [{ type: 'text', text: system, ...cache }],
    // The diff first and marked for the cache, the concern after it: the four auditors share the prefix.
    content: [{ type: 'text', text: shared, ...cache }, { type: 'text', text: user }],
    tool: findingsTool, schema: SubmitFindingsSchema, who: 'auditor',
    transcript: { system, shared, prompt: user, instruction: null },
    around: (send) => warmedSend(ctx.config.promptCaching ? `${ctx.runDir}\n${state.ref}\n${agent.modelRequested}` : null, send),
  });
  if (!parsed.ok) return parsed;
  const findings: HardenFinding[] = parsed.input.findings.map((f, i) => ({
    id: `${agent.id}-${i + 1}`, severity: f.severity, concern, file: f.file, line: f.line, text: f.text,
    owner: ownerOf(ctx.plan, f.file), status: 'open',
  }));
  await store(ctx, agent, concern, { summary: parsed.input.summary, findings });
  return { ok: true, returned: `${concern}: ${countLine(findings)}. ${parsed.input.summary}`.slice(0, 200) };
}

/** "1 critical, 2 minor" or "no findings". */
export function countLine(findings: readonly Pick<HardenFinding, 'severity'>[]): string {
  const parts = SEVERITIES.map((s) => [s, findings.filter((f) => f.severity === s).length] as const).filter(([, n]) => n > 0).map(([s, n]) => `${n} ${s}`);
  return parts.length ? parts.join(', ') : 'no findings';
}

async function store(ctx: Ctx, agent: AgentRecord, concern: HardenConcern, s: StoredFindings): Promise<void> {
  await writeFileAtomic(path.join(ctx.runDir, hardenJson(agent.id)), `${JSON.stringify(StoredFindingsSchema.parse(s), null, 2)}\n`);
  await writeFileAtomic(path.join(ctx.runDir, agent.outputFile), [
    `# Hardening: ${concern}`, '', s.summary, '',
    ...(s.findings.length
      ? ['| Severity | File | Line | Finding |', '| --- | --- | --- | --- |', ...s.findings.map((f) => `| ${f.severity} | ${f.file ? `\`${f.file}\`` : '—'} | ${f.line ?? '—'} | ${f.text.replace(/\|/g, '\\|').replace(/\s+/g, ' ')} |`)]
      : ['No findings for this concern.']),
    '', SENTINEL, '',
  ].join('\n'));
}

/** A hardener's stored findings, or null when it has none (did not run, or the file is unreadable). */
export const readHardener = (runDir: string, id: string): Promise<StoredFindings | null> => readRunJson(runDir, hardenJson(id), StoredFindingsSchema);
