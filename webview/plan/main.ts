/** The plan review's entry point: renders each validated state, keeping what the user is typing. */
import { PlanHostMessageSchema, type PlanHostMessage, type PlanWebviewMessage } from '../../src/shared/planProtocol';
import { connect } from '../channel';
import { h } from '../dom';
import { registerComponents } from '../toolkit';
import { renderPlanEditor, type PlanActions } from './render';

registerComponents();
const app = document.getElementById('app')!;

const actions: PlanActions = {
  edit: (edit) => channel.post({ type: 'edit', edit }),
  approve: () => channel.post({ type: 'approve' }),
  decline: () => channel.post({ type: 'decline' }),
  reset: () => channel.post({ type: 'reset' }),
  openDocument: (id) => channel.post({ type: 'openDocument', id }),
};

/**
 * Re-renders without losing the user's place: the focused field gets its in-progress text and
 * caret back (a task being typed is sent only when the field is left), and the page keeps its scroll.
 */
function render(msg: PlanHostMessage): void {
  const active = document.activeElement;
  const key = active instanceof HTMLElement ? active.dataset.key : undefined;
  const typing = active instanceof HTMLTextAreaElement || active instanceof HTMLInputElement ? active : null;
  const text = typing?.value;
  const [start, end] = typing ? [typing.selectionStart, typing.selectionEnd] : [null, null];
  const { scrollX, scrollY } = window;
  app.replaceChildren(msg.view ? renderPlanEditor(msg.view, actions) : h('p', msg.note ?? 'No plan.', 'muted empty'));
  if (key) {
    const again = app.querySelector<HTMLElement>(`[data-key="${CSS.escape(key)}"]`);
    if (again && text !== undefined && (again instanceof HTMLTextAreaElement || again instanceof HTMLInputElement)) {
      again.value = text;
      again.setSelectionRange(start, end);
    }
    again?.focus({ preventScroll: true });
  }
  window.scrollTo(scrollX, scrollY);
  app.dataset.status = msg.view?.status ?? 'none';
}

const channel = connect<PlanHostMessage, PlanWebviewMessage>('Plan', PlanHostMessageSchema, {
  state: (msg) => {
    render(msg);
    channel.save(msg);
  },
});
channel.start();
