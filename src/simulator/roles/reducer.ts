import { SIMULATED_LABEL, promptText, section, truncate } from '../conversation';
import type { ParsedRequest, Reply } from '../types';
import { ratingLine, ratingOf, type FileRating } from './mapper';

const NOTABLE = 10;

interface Combined { covered: number; ratingSum: number; notable: FileRating[]; gaps: string[] }

/** Worst first: the lowest rating, then the most TODO/FIXME markers, then path order. */
const worstFirst = (a: FileRating, b: FileRating): number => a.rating - b.rating || b.todos - a.todos || (a.path < b.path ? -1 : 1);

/** What one input says: its rated files (a mapper) or its notable files and coverage (a reducer). */
function readReport(body: string, covers: number): Combined {
  const rated = body.split('\n').map(ratingOf).filter((r): r is FileRating => r !== null);
  const cov = /Files covered: (\d+); mean rating: ([\d.]+)\/5/.exec(body);
  const gaps = (/## Gaps\n([\s\S]*?)(?:\n## |$)/.exec(body)?.[1] ?? '').split('\n').filter((l) => /^- /.test(l) && !/None/.test(l));
  if (cov) return { covered: Number(cov[1]), ratingSum: Number(cov[1]) * Number(cov[2]), notable: rated, gaps };
  // A mapper's answer has no coverage line: each rated file is one covered.
  return { covered: covers || rated.length, ratingSum: rated.reduce((n, r) => n + r.rating, 0), notable: rated, gaps };
}

/** Every `<report …>` of a reducer prompt combined: coverage summed, the notable files re-ranked, gaps kept. */
export function combineReports(text: string): Combined {
  const all: Combined = { covered: 0, ratingSum: 0, notable: [], gaps: [] };
  const re = /<report from="([^"]+)" covers="(\d+) files"(?: missing="([^"]*)"\/>|>\n([\s\S]*?)\n<\/report>)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m[4] === undefined) {
      all.gaps.push(`- ${m[1]} (${m[2]} files): ${truncate(m[3] ?? 'missing', 160)}`);
      continue;
    }
    const r = readReport(m[4], Number(m[2]));
    all.covered += r.covered;
    all.ratingSum += r.ratingSum;
    all.notable.push(...r.notable);
    all.gaps.push(...r.gaps);
  }
  all.notable.sort(worstFirst);
  all.notable = all.notable.slice(0, NOTABLE);
  all.gaps = all.gaps.slice(0, NOTABLE);
  return all;
}

/**
 * The poorly commented files as findings to fix (a file rated 1/5 is major, 2/5 minor), in a form
 * `ratingOf` does not read back, so a reducer above counts each file once.
 */
function findingLines(notable: readonly FileRating[]): string[] {
  const poor = notable.filter((r) => r.rating <= 2);
  return ['## Findings', '', ...(poor.length
    ? poor.map((r) => `- [${r.rating === 1 ? 'major' : 'minor'}] \`${r.path}:1\` — only ${r.comments} of ${r.lines} lines are comments (rated ${r.rating} of 5); document what the file holds${r.todos ? ` and resolve its ${r.todos} TODO/FIXME markers` : ''}`)
    : ['None.']), ''];
}

function body(c: Combined): string[] {
  const mean = c.covered ? (c.ratingSum / c.covered).toFixed(2) : '0';
  return [
    '## Answer', '', `Across ${c.covered} files the comments rate ${mean}/5 on average; the least commented files are listed below.`, '',
    '## Notable files', '', ...(c.notable.length ? c.notable.map((r) => `- ${ratingLine(r)}`) : ['- None.']), '',
    '## Patterns', '', `- ${c.notable.filter((r) => r.todos > 0).length} of the ${c.notable.length} notable files carry TODO/FIXME markers.`, '',
    ...findingLines(c.notable),
    '## Coverage', '', `Files covered: ${c.covered}; mean rating: ${mean}/5`, '',
    '## Gaps', '', ...(c.gaps.length ? c.gaps : ['None.']),
  ];
}

/**
 * A reducer: combines its inputs into a report of bounded size (ten notable files at most,
 * whatever it covers), so the tree's top stays small however many files are below it.
 */
export function reducerReply(req: ParsedRequest): Reply {
  const c = combineReports(promptText(req));
  return { kind: 'message', content: [{ type: 'text', text: [SIMULATED_LABEL, '', ...body(c)].join('\n') }] };
}

/** The map-reduce final step: the combined answer restated for the person who asked. */
export function mapReduceFinalReply(req: ParsedRequest): Reply {
  const text = promptText(req);
  const combined = section(text, 'Combined answer') ?? '';
  const c = readReport(combined, 0);
  c.notable = c.notable.sort(worstFirst).slice(0, NOTABLE);
  const question = (section(text, 'Question') ?? 'the question').replace(/\s+/g, ' ');
  const selection = (section(text, 'Selection') ?? '').replace(/\s+/g, ' ');
  const known = (section(text, 'Known gaps') ?? 'None.').split('\n').filter((l) => /^- /.test(l));
  const mean = c.covered ? (c.ratingSum / c.covered).toFixed(2) : '0';
  const out = [
    SIMULATED_LABEL, '', '# Summary', '',
    `For “${truncate(question, 200)}”: ${c.covered} files were answered; their comments rate ${mean}/5 on average. ${selection}`, '',
    '## Notable files', '', ...(c.notable.length ? c.notable.map((r) => `- ${ratingLine(r)}`) : ['- None.']), '',
    '## Patterns', '', `- ${c.notable.filter((r) => r.todos > 0).length} of the ${c.notable.length} notable files carry TODO/FIXME markers.`, '',
    ...findingLines(c.notable),
    '## Gaps', '', ...([...known, ...c.gaps].length ? [...known, ...c.gaps] : ['None.']),
  ];
  return { kind: 'message', content: [{ type: 'text', text: out.join('\n') }] };
}
