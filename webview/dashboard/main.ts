/** The run dashboard's entry point: renders each validated state; clicks become typed messages. */
import { DashboardHostMessageSchema, type DashboardHostMessage, type DashboardWebviewMessage } from '../../src/shared/dashboardProtocol';
import { connect } from '../channel';
import { h, rerender } from '../dom';
import { registerComponents } from '../toolkit';
import { renderDashboard, type DashboardActions, type DashboardTab } from './render';

registerComponents();
const app = document.getElementById('app')!;

let tab: DashboardTab = 'board';
let last: Extract<DashboardHostMessage, { type: 'state' }> | null = null;
/** Each card's column in the state shown last, so a card that moves can say so. */
let columns = new Map<string, string>();

function render(msg: Extract<DashboardHostMessage, { type: 'state' }>, moved: ReadonlySet<string> = new Set()): void {
  last = msg;
  rerender(app, () => (msg.view ? renderDashboard(msg.view, actions, { tab, moved }) : h('p', msg.note ?? 'No run.', 'muted empty')));
  app.dataset.status = msg.view?.status ?? 'none';
  app.dataset.tab = msg.view?.board ? tab : 'timeline';
}

const actions: DashboardActions = {
  showAgent: (agentId) => channel.post({ type: 'showAgent', agentId }),
  expand: (laneId, expanded, page) => channel.post({ type: 'expand', laneId, expanded, page }),
  openFile: (path) => channel.post({ type: 'openFile', path }),
  showSummary: () => channel.post({ type: 'showSummary' }),
  showTab: (next) => {
    tab = next;
    if (last) render(last);
  },
  fixFindings: () => channel.post({ type: 'fixFindings' }),
  shipToBranch: () => channel.post({ type: 'shipToBranch' }),
};

const channel = connect<DashboardHostMessage, DashboardWebviewMessage>('Dashboard', DashboardHostMessageSchema, {
  state: (msg) => {
    const cards = msg.view?.board?.cards ?? [];
    const moved = new Set(cards.filter((c) => columns.has(c.id) && columns.get(c.id) !== c.column).map((c) => c.id));
    columns = new Map(cards.map((c) => [c.id, c.column]));
    render(msg, moved);
    channel.save(msg);
  },
});
channel.start();
