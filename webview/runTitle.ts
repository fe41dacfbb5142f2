import { h } from './dom';
import { tag } from './toolkit';

/**
 * The run's title and its meta line, as every view of a run opens (the Summary view, the dashboard,
 * the plan editor): the status, then `extras`, then the run id. The ids are what e2e tests read.
 */
export function runTitle(run: { task: string; status: string; runId: string }, statusLabel: string, extras: Node[]): [HTMLElement, HTMLElement] {
  const title = h('h2', run.task, 'task');
  title.id = 'run-task';
  const meta = h('div', undefined, 'meta');
  const status = tag(statusLabel, `status status-${run.status}`);
  status.id = 'run-status';
  meta.append(status, ...extras, h('span', run.runId, 'muted run-id'));
  return [title, meta];
}
