import { SIMULATED_LABEL, promptText, section, truncate, truncateWords } from '../conversation';
import type { ParsedRequest, Reply } from '../types';

interface Report { label: string; items: string[] }

/**
 * The final synthesis: built only from the coordinator reports and known gaps in the request, like
 * the real parent step — one paragraph, `## Top actions` (≤ 7, each naming its domain), `## Gaps`.
 */
export function finalReply(req: ParsedRequest): Reply {
  const text = promptText(req);
  const task = (section(text, 'Task') ?? 'the task').trim();
  const reports = parseReports(section(text, 'Coordinator reports') ?? '');
  const gapsText = (section(text, 'Known gaps') ?? '').trim();
  const gaps = gapsText && !/^(?:none|no gaps|-|\(none\))\.?$/i.test(gapsText)
    ? gapsText.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => (/^[-*]\s/.test(l) ? l : `- ${l}`))
    : ['- None reported.'];

  const actions: string[] = [];
  for (let round = 0; actions.length < 7 && reports.some((r) => r.items.length > round); round++) {
    for (const r of reports) {
      const item = r.items[round];
      if (item && actions.length < 7) actions.push(`${actions.length + 1}. **${r.label}:** ${truncateWords(item, 60)}`);
    }
  }
  const answer = `For “${truncate(task.replace(/\s+/g, ' '), 200)}”, ${reports.length} domain coordinator${reports.length === 1 ? '' : 's'} reported `
    + `${actions.length ? `${actions.length} actionable item${actions.length === 1 ? '' : 's'}` : 'no actionable items'}`
    + `${gaps[0] === '- None reported.' ? ' and no gaps' : ` and ${gaps.length} gap${gaps.length === 1 ? '' : 's'}`}. `
    + 'This summary was produced offline by the simulator from the coordinators’ reports alone; open each domain’s synthesis file for detail.';
  const body = [
    SIMULATED_LABEL, '', '# Summary', '', answer, '', '## Top actions',
    ...(actions.length ? actions : ['- No coordinator reported an actionable item.']),
    '', '## Gaps', ...gaps,
  ].join('\n');
  return { kind: 'message', content: [{ type: 'text', text: body }] };
}

/**
 * Splits the reports into one per domain, by `##`/`###` headings or "Domain x" lines; the items are
 * the numbered or bulleted lines under each.
 */
function parseReports(text: string): Report[] {
  const reports: Report[] = [];
  let current: Report | null = null;
  for (const line of text.split('\n')) {
    const markdownHeading = /^#{2,4}\s+(.+)$/.exec(line);
    const heading = markdownHeading ?? /^(Domain [a-z]\b.*?)(?:\s+\u2014\s+top actions)?:?\s*$/i.exec(line.trim());
    // A "Domain x …" line right under a heading is the same report, not a new one.
    if (heading && !markdownHeading && current && current.items.length === 0) continue;
    if (heading) {
      const label = heading[1].replace(/\s+\u2014\s+top actions:?$/i, '').replace(/\s+\(coordinator [^)]*\)$/, '').trim();
      current = { label: truncate(label, 80), items: [] };
      reports.push(current);
      continue;
    }
    const item = /^\s*(?:\d+[.)]|[-*])\s+(.+)$/.exec(line)?.[1]?.trim();
    if (!item) continue;
    if (!current) {
      current = { label: 'Domain', items: [] };
      reports.push(current);
    }
    current.items.push(item);
  }
  return reports;
}
