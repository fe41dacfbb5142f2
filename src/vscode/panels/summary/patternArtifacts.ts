/**
 * The files a pattern writes besides its agents' outputs, read for the Summary's pattern card
 * where the pattern's card declaration names them (PatternView.card): handoffs, a selection, a
 * conversation, a tally. They come from disk (a model's text is inside some), so each is checked with zod and
 * only the fields a card shows are kept; a file that is missing or malformed just leaves its part
 * of the card empty. No vscode import: the parsers are unit-tested directly.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import type { CardDecl, LedgerSnapshot } from '../../../engine';

export interface SelectionInfo {
  selectedFiles: number;
  mappers: number;
  excluded: Array<{ path: string; reason: string }>;
}

export interface RoundInfo {
  round: number;
  promptTokens: number;
  returnTokens: number;
  outcome: 'spawned' | 'finished';
  spawned: number;
}

export interface TallyInfo {
  line: string;
  planned: number;
  answered: number;
  quorum: number;
  quorumMet: boolean;
  majority: string | null;
  unanimous: boolean;
  counts: Record<string, number>;
  dissenters: string[];
  experts: Array<{ id: string; perspective: string; file: string; verdict: { verdict: string; confidence: number; concerns: string[] } | null; gap: string | null }>;
}

/** What the cards may show; every part is optional. */
export interface PatternArtifacts {
  /** Stage id → the `Summary` section of handoffs/<id>.md. */
  handoffs: ReadonlyMap<string, string>;
  selection: SelectionInfo | null;
  rounds: RoundInfo[] | null;
  tally: TallyInfo | null;
}

export const NO_ARTIFACTS: PatternArtifacts = { handoffs: new Map(), selection: null, rounds: null, tally: null };

const SelectionSchema = z.object({
  selectedFiles: z.number().int().nonnegative(),
  mappers: z.array(z.unknown()),
  excluded: z.array(z.object({ path: z.string(), reason: z.string() }).loose()),
}).loose();

const ConversationSchema = z.object({
  rounds: z.array(z.object({
    round: z.number().int().min(1),
    promptTokens: z.number().int().nonnegative(),
    returnTokens: z.number().int().nonnegative(),
    outcome: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('spawned'), workers: z.array(z.unknown()) }).loose(),
      z.object({ kind: z.literal('finished') }).loose(),
    ]),
  }).loose()),
}).loose();

const TallySchema = z.object({
  line: z.string(),
  planned: z.number().int().nonnegative(),
  answered: z.number().int().nonnegative(),
  quorum: z.number().int().nonnegative(),
  quorumMet: z.boolean(),
  majority: z.string().nullable(),
  unanimous: z.boolean(),
  counts: z.record(z.string(), z.number().int().nonnegative()),
  dissenters: z.array(z.object({ id: z.string() }).loose()),
  experts: z.array(z.object({
    id: z.string(),
    perspective: z.string(),
    file: z.string(),
    verdict: z.object({ verdict: z.string(), confidence: z.number(), concerns: z.array(z.string()) }).loose().nullable(),
    gap: z.string().nullable(),
  }).loose()),
}).loose();

export function parseSelection(raw: unknown): SelectionInfo | null {
  const r = SelectionSchema.safeParse(raw);
  return r.success ? { selectedFiles: r.data.selectedFiles, mappers: r.data.mappers.length, excluded: r.data.excluded.map((e) => ({ path: e.path, reason: e.reason })) } : null;
}

export function parseConversation(raw: unknown): RoundInfo[] | null {
  const r = ConversationSchema.safeParse(raw);
  if (!r.success) return null;
  return r.data.rounds.map((x) => ({
    round: x.round, promptTokens: x.promptTokens, returnTokens: x.returnTokens, outcome: x.outcome.kind,
    spawned: x.outcome.kind === 'spawned' ? x.outcome.workers.length : 0,
  }));
}

export function parseTally(raw: unknown): TallyInfo | null {
  const r = TallySchema.safeParse(raw);
  if (!r.success) return null;
  const t = r.data;
  return {
    line: t.line, planned: t.planned, answered: t.answered, quorum: t.quorum, quorumMet: t.quorumMet, majority: t.majority,
    unanimous: t.unanimous, counts: t.counts, dissenters: t.dissenters.map((d) => d.id),
    experts: t.experts.map((e) => ({
      id: e.id, perspective: e.perspective, file: e.file, gap: e.gap,
      verdict: e.verdict ? { verdict: e.verdict.verdict, confidence: e.verdict.confidence, concerns: e.verdict.concerns } : null,
    })),
  };
}

/**
 * The `Summary` section of a handoff file the engine wrote (`## Summary` up to the next `## `),
 * or null when it has none.
 */
export function handoffSummary(text: string): string | null {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const start = lines.findIndex((l) => /^##\s+summary\s*$/i.test(l.trim()));
  if (start < 0) return null;
  const rest = lines.slice(start + 1);
  const end = rest.findIndex((l) => /^#{1,2}\s/.test(l));
  const body = (end < 0 ? rest : rest.slice(0, end)).filter((l) => !l.trim().startsWith('<!--')).join('\n').trim();
  return body || null;
}

/** Bigger files are not read for a card (a selection of many thousand files still fits). */
const MAX_BYTES = 8 * 1024 * 1024;

/**
 * Reads a run's pattern files, re-reading each only when its size or mtime changed: the Summary
 * posts its state many times a second during a run, and conversation.json grows by whole rounds.
 */
export class ArtifactReader {
  private readonly cache = new Map<string, { key: string; value: unknown }>();

  /** The artifacts of the card the run's pattern declares (PatternView.card): the files it names, nothing else. */
  async read(runDir: string, s: LedgerSnapshot, card: CardDecl | undefined): Promise<PatternArtifacts> {
    const at = (rel: string) => path.join(runDir, ...rel.split('/'));
    switch (card?.kind) {
      case 'handoffs': {
        const handoffs = new Map<string, string>();
        await Promise.all(s.agents.filter((a) => a.role === card.role && a.status === 'completed').map(async (a) => {
          const summary = await this.file(at(card.handoffFile(a.id)), handoffSummary);
          if (summary) handoffs.set(a.id, summary);
        }));
        return { ...NO_ARTIFACTS, handoffs };
      }
      case 'progress':
        return { ...NO_ARTIFACTS, selection: await this.file(at(card.selectionFile), (t) => parseSelection(JSON.parse(t))) };
      case 'rounds':
        return { ...NO_ARTIFACTS, rounds: await this.file(at(card.conversationFile), (t) => parseConversation(JSON.parse(t))) };
      case 'verdicts':
        return { ...NO_ARTIFACTS, tally: await this.file(at(card.tallyFile), (t) => parseTally(JSON.parse(t))) };
      default:
        return NO_ARTIFACTS;
    }
  }

  private async file<T>(file: string, parse: (text: string) => T | null): Promise<T | null> {
    try {
      const st = await fs.stat(file);
      if (!st.isFile() || st.size > MAX_BYTES) return null;
      const key = `${st.size}:${st.mtimeMs}`;
      const hit = this.cache.get(file);
      if (hit?.key === key) return hit.value as T | null;
      let value: T | null = null;
      try {
        value = parse(await fs.readFile(file, 'utf8'));
      } catch {
        // Half-written or not JSON: the card shows what the ledger knows until the next write.
      }
      this.cache.set(file, { key, value });
      return value;
    } catch {
      return null;
    }
  }
}
