import { h } from './dom';
import { startedVia } from '../src/shared/words';
import { tag } from './toolkit';

/**
 * The run's title and its meta line, as every view of a run opens (the Summary view, the dashboard,
 * the plan editor): the status, then `extras`, then the run id. The ids are what e2e tests read.
 */
export function runTitle(run: { task: string; status: string; runId: string; startedBy?: string | null }, statusLabel: string, extras: Node[]): [HTMLElement, HTMLElement] {
  const title = h('h2', run.task, 'task');
  title.id = 'run-task';
  const meta = h('div', undefined, 'meta');
  const status = tag(statusLabel, `status status-${run.status}`);
  status.id = 'run-status';
  // A run an agent started (over MCP) says so wherever it opens.
  const via = run.startedBy ? [tag(startedVia(run.startedBy), 'started-by')] : [];
  meta.append(status, ...extras, ...via, h('span', run.runId, 'muted run-id'));
  return [title, meta];
}
