import { SIMULATED_LABEL, promptText, section, truncate, truncateWords } from '../conversation';
import type { ParsedRequest, Reply } from '../types';
import { SEVERITIES, severityOf, type Severity } from '../facts';
import { plural } from '../../shared/words';

interface Report { label: string; items: string[] }

interface Action { report: Report; text: string; severity: Severity }

/** At most this many actions are listed, unless more security ones need the room: those are never left out. */
const LISTED = 7;

/**
 * The final synthesis: built only from the coordinator reports and known gaps in the request, like
 * the real parent step — one paragraph, `## Top actions` ranked by severity across domains (every
 * critical and high one, then the next most severe up to seven), `## Gaps`. Every count it states
 * is the count of what it lists or read.
 */
export function finalReply(req: ParsedRequest): Reply {
  const text = promptText(req);
  const task = (section(text, 'Task') ?? 'the task').trim();
  const reports = parseReports(section(text, 'Coordinator reports') ?? '');
  const gapsText = (section(text, 'Known gaps') ?? '').trim();
  const gaps = gapsText && !/^(?:none|no gaps|-|\(none\))\.?$/i.test(gapsText)
    ? gapsText.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => (/^[-*]\s/.test(l) ? l : `- ${l}`))
    : [];

  const actions = ranked(reports);
  const security = actions.filter((a) => a.severity === 'critical' || a.severity === 'high');
  const listed = actions.slice(0, Math.max(LISTED, security.length));
  const quiet = reports.filter((r) => !actions.some((a) => a.report === r));
  const bySeverity = SEVERITIES.map((s) => [s, actions.filter((a) => a.severity === s).length] as const).filter(([, n]) => n > 0);
  const found = actions.length
    ? `${plural(actions.length, 'actionable item')} (${bySeverity.map(([s, n]) => `${n} ${s}`).join(', ')})`
    : 'no actionable items';
  const answer = [
    `For “${truncate(task.replace(/\s+/g, ' '), 200)}”, ${plural(reports.length, 'domain coordinator')} reported ${found}`
      + `${gaps.length ? ` and ${plural(gaps.length, 'gap')}` : ' and no gaps'}.`,
    ...(security.length ? [`Fix first: ${security.slice(0, 5).map((a) => headline(a.text)).join('; ')}.`] : []),
    ...(listed.length < actions.length ? [`Listed below: the ${listed.length} most severe, every critical and high one among them; the rest are in each domain’s synthesis file.`] : []),
    ...(quiet.length ? [`Nothing actionable was reported for ${quiet.map((r) => r.label).join('; ')}.`] : []),
    'This summary was produced offline by the simulator from the coordinators’ reports alone; open each domain’s synthesis file for detail.',
  ].join(' ');
  const body = [
    SIMULATED_LABEL, '', '# Summary', '', answer, '', '## Top actions',
    ...(listed.length ? listed.map((a, i) => `${i + 1}. [${a.severity}] **${a.report.label}:** ${truncateWords(a.text, 60)}`) : ['- No coordinator reported an actionable item.']),
    '', '## Gaps', ...(gaps.length ? gaps : ['- None reported.']),
  ].join('\n');
  return { kind: 'message', content: [{ type: 'text', text: body }] };
}

/**
 * Every actionable item of every report, most severe first; equal ones alternate between domains
 * in report order, so no domain crowds out the others. A coordinator's `[severity]` tag is taken
 * as given; an untagged item is an action the coordinator asked for, at least medium.
 */
function ranked(reports: Report[]): Action[] {
  const actions: Array<Action & { order: number }> = [];
  const rounds = Math.max(0, ...reports.map((r) => r.items.length));
  for (let round = 0; round < rounds; round++) {
    for (const r of reports) {
      const item = r.items[round];
      if (!item || /^no (?:actionable )?findings\b/i.test(item)) continue;
      const tag = /^\[(critical|high|medium|low)\]\s*/i.exec(item);
      const severity = tag ? tag[1].toLowerCase() as Severity : severityOf(item) === 'low' ? 'medium' : severityOf(item);
      if (severity === 'low') continue;
      actions.push({ report: r, text: tag ? item.slice(tag[0].length) : item, severity, order: actions.length });
    }
  }
  return actions.sort((a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) || a.order - b.order);
}

/** A finding's gist for the opening paragraph: its file and what is wrong, without the workers. */
function headline(text: string): string {
  return truncateWords(text.replace(/\s*\([a-z]\d+(?:, [a-z]\d+)*\)\s*$/, ''), 16);
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
