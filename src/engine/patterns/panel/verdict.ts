/**
 * The structured verdict an expert submits: a fenced JSON block under a `## Verdict` heading of its
 * own file. Reading it back from the file (rather than from the model's reply) keeps the file the
 * single record of what the expert said, so resume and the consensus see the same verdict.
 */
import type { Heading, Nodes, RootContent } from 'mdast';
import { fromMarkdown } from 'mdast-util-from-markdown';
import { z } from 'zod';

export const VERDICTS = ['yes', 'conditional', 'no'] as const;
export type VerdictValue = (typeof VERDICTS)[number];

export const VerdictSchema = z.object({
  verdict: z.enum(VERDICTS),
  confidence: z.number().min(0).max(1),
  concerns: z.array(z.string().trim().min(1).max(300)).max(5),
}).strict();
export type Verdict = z.infer<typeof VerdictSchema>;

/** How the block must look, quoted in every error so a retry knows what to write. */
export const VERDICT_SHAPE = '{"verdict": "yes" | "conditional" | "no", "confidence": 0–1, "concerns": [at most 5 strings]}';

export type VerdictCheck = { ok: true; verdict: Verdict } | { ok: false; error: string };

const cut = (s: string, max: number): string => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);

function textOf(node: Nodes): string {
  if ('value' in node) return node.value;
  if ('children' in node) return (node.children as Nodes[]).map(textOf).join('');
  return '';
}

const isHeading = (n: RootContent): n is Heading => n.type === 'heading';

/** The top-level blocks under the first heading (level 1–3) whose text starts with `title`, up to the next heading as high. */
function sectionUnder(blocks: RootContent[], title: string): RootContent[] | null {
  const want = title.toLowerCase();
  const start = blocks.findIndex((b) => isHeading(b) && b.depth <= 3 && textOf(b).trim().toLowerCase().startsWith(want));
  if (start < 0) return null;
  const depth = (blocks[start] as Heading).depth;
  const end = blocks.findIndex((b, i) => i > start && isHeading(b) && b.depth <= depth);
  return blocks.slice(start + 1, end < 0 ? undefined : end);
}

/** Parses and validates the verdict block of an expert's file; the error names what was expected and what came. */
export function extractVerdict(markdown: string): VerdictCheck {
  const blocks = fromMarkdown(markdown).children;
  const section = sectionUnder(blocks, 'verdict');
  if (!section) return { ok: false, error: `there is no "## Verdict" section; add one with a fenced \`\`\`json block ${VERDICT_SHAPE}` };
  const code = section.find((b) => b.type === 'code');
  if (!code || code.type !== 'code') {
    return { ok: false, error: `the "## Verdict" section has no fenced \`\`\`json block; expected ${VERDICT_SHAPE}` };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(code.value);
  } catch (err) {
    return { ok: false, error: `the verdict block is not valid JSON (${err instanceof Error ? err.message : String(err)}); expected ${VERDICT_SHAPE}` };
  }
  const parsed = VerdictSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => {
      const key = ['verdict', ...i.path.map(String)].join('.');
      return `${key}: ${i.message}${i.input !== undefined ? `; got ${cut(JSON.stringify(i.input), 80)}` : ''}`;
    });
    return { ok: false, error: `the verdict block does not match ${VERDICT_SHAPE}: ${issues.join('; ')}` };
  }
  return { ok: true, verdict: parsed.data };
}

/** Which of the `## <title>` sections the markdown lacks (a heading that starts with the title counts). */
export function missingSections(markdown: string, titles: readonly string[]): string[] {
  const blocks = fromMarkdown(markdown).children;
  return titles.filter((t) => sectionUnder(blocks, t) === null);
}
