import type { Finding } from '../../pipelineFiles';

// How findings read in a build, here with the build pattern that writes them into prompts and
// assembly notes; findings/ (which lists an audit run's findings) sits above the patterns.

/**
 * The findings a build was started from, as its planner, scouts' planner and builders read them:
 * one line each with id, severity and cited file, then how to plan from them.
 */
export function findingsBlock(findings: readonly Finding[], from: string, forScouts: boolean): string {
  const lines = [`# Findings to fix (from audit run ${from})`, '', ...findings.map((f) => `- ${findingLine(f)}`), ''];
  if (forScouts) {
    lines.push('This build fixes these findings. Plan the scouts from them, not from a blind search: give the files the',
      'findings cite to scouts as their `scope` (every cited file in some scout\'s scope), and have each scout confirm',
      'the finding at its line and find the callers and tests a fix touches. Findings without a file need a scout on',
      'the area their text names.', '');
  }
  return lines.join('\n');
}

/** One finding as a line: `F1 [major] src/a.ts:12 — text` (severity and file where stated). */
export function findingLine(f: Finding): string {
  const where = f.file ? ` ${f.file}${f.line ? `:${f.line}` : ''}` : '';
  return `${f.id}${f.severity ? ` [${f.severity}]` : ''}${where} — ${f.text}`;
}
