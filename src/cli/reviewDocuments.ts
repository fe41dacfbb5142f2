/** What the CLI shows with the plan of the files the user approves with it (a greenfield build's architecture.md). */
import { planReviewDocuments, type Run } from '../engine';
import { shownPath } from './hint';

/** Lines to print under the plan table: each document's path, what it is for, and its outline; none when the plan has none. */
export async function reviewDocumentLines(run: Run): Promise<string[]> {
  const lines: string[] = [];
  for (const d of await planReviewDocuments(run.plan, run.dir)) {
    lines.push('', `${d.title}: ${shownPath(d.path)}`, `  ${d.note}`, ...d.outline.map((l) => `    ${l}`));
  }
  return lines;
}
