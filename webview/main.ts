/**
 * The Summary webview's entry point. It restores the last state (getState) at once, says `ready`,
 * and from then on renders whatever validated `state` message the host sends. Every message it
 * sends is one of the typed WebviewMessage shapes.
 */
import { HostMessageSchema, type HandlerMap, type HostMessage, type RunView, type WebviewMessage } from '../src/shared/protocol';
import { renderEmpty, renderRun, type Actions } from './render';
import { registerComponents } from './toolkit';

interface VsCodeApi {
  postMessage(msg: WebviewMessage): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const app = document.getElementById('app')!;

const actions: Actions = {
  approve: (runId) => vscode.postMessage({ type: 'approve', runId }),
  decline: (runId) => vscode.postMessage({ type: 'decline', runId }),
  cancel: (runId) => vscode.postMessage({ type: 'cancel', runId }),
  resume: (runId) => vscode.postMessage({ type: 'resume', runId }),
  retryFailed: (runId) => vscode.postMessage({ type: 'retryFailed', runId }),
  fixFindings: (runId) => vscode.postMessage({ type: 'fixFindings', runId }),
  openFile: (runId, path) => vscode.postMessage({ type: 'openFile', runId, path }),
  reviewPlan: (runId) => vscode.postMessage({ type: 'reviewPlan', runId }),
  openDiff: (runId, path) => vscode.postMessage({ type: 'openDiff', runId, path }),
  applyChanges: (runId) => vscode.postMessage({ type: 'applyChanges', runId }),
  discardChanges: (runId) => vscode.postMessage({ type: 'discardChanges', runId }),
  shipToBranch: (runId) => vscode.postMessage({ type: 'shipToBranch', runId }),
  approveStage: (runId, stage) => vscode.postMessage({ type: 'approveStage', runId, stage }),
};

let shown: string | undefined;
let last = '';

function render(run: RunView | null): void {
  // The host re-posts on every ledger or change-set event; an identical state leaves the page alone,
  // so an opened fold or a text selection is not reset by an update that changed nothing here.
  const key = JSON.stringify(run);
  if (key === last) return;
  last = key;
  app.replaceChildren(run ? renderRun(run, actions) : renderEmpty());
  app.dataset.status = run?.status ?? 'none';
  // Another run opens at its top (its title, buttons and Changes), not at the scroll offset of the last one.
  if (run?.runId !== shown) window.scrollTo(0, 0);
  shown = run?.runId;
}

const handlers: HandlerMap<HostMessage> = {
  state: ({ run }) => {
    render(run);
    vscode.setState({ type: 'state', run });
  },
};

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const parsed = HostMessageSchema.safeParse(event.data);
  if (!parsed.success) {
    console.warn('Summary: ignored an invalid message from the host', parsed.error.issues);
    return;
  }
  const msg = parsed.data;
  void handlers[msg.type](msg);
});

registerComponents();
// The saved state is validated like a message: it may predate an extension update.
const saved = HostMessageSchema.safeParse(vscode.getState());
if (saved.success) render(saved.data.run);
vscode.postMessage({ type: 'ready' });
