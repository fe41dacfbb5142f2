/** The run dashboard's entry point: renders each validated state; clicks become typed messages. */
import { DashboardHostMessageSchema, type DashboardHostMessage, type DashboardWebviewMessage } from '../../src/shared/dashboardProtocol';
import { connect } from '../channel';
import { h, rerender } from '../dom';
import { registerComponents } from '../toolkit';
import { renderDashboard, type DashboardActions } from './render';

registerComponents();
const app = document.getElementById('app')!;

const actions: DashboardActions = {
  showAgent: (agentId) => channel.post({ type: 'showAgent', agentId }),
  expand: (laneId, expanded, page) => channel.post({ type: 'expand', laneId, expanded, page }),
  fixFindings: () => channel.post({ type: 'fixFindings' }),
};

const channel = connect<DashboardHostMessage, DashboardWebviewMessage>('Dashboard', DashboardHostMessageSchema, {
  state: (msg) => {
    rerender(app, () => (msg.view ? renderDashboard(msg.view, actions) : h('p', msg.note ?? 'No run.', 'muted empty')));
    app.dataset.status = msg.view?.status ?? 'none';
    channel.save(msg);
  },
});
channel.start();
