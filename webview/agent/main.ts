/**
 * The agent view's entry point. The header re-renders when it changes; the conversation only
 * grows (appends), and follows the bottom while the user is at the bottom.
 */
import { AgentHostMessageSchema, type AgentHeader, type AgentHostMessage, type AgentWebviewMessage } from '../../src/shared/agentProtocol';
import { connect } from '../channel';
import { h } from '../dom';
import { registerComponents } from '../toolkit';
import { Conversation } from './conversation';
import { elapsed, renderHeader, type HeaderActions } from './render';

registerComponents();
const app = document.getElementById('app')!;
const headerSlot = h('div');
const notice = h('div');
const actions: HeaderActions = {
  stop: () => channel.post({ type: 'stop' }),
  rerun: () => channel.post({ type: 'rerun' }),
  ask: () => channel.post({ type: 'ask' }),
  openOutput: () => channel.post({ type: 'openOutput' }),
};
const conversation = new Conversation({ openFile: (path) => channel.post({ type: 'openFile', path }) });
let header: AgentHeader | null = null;
let count = 0;

function showHeader(next: AgentHeader): void {
  header = next;
  headerSlot.replaceChildren(renderHeader(next, actions));
  app.dataset.status = next.status;
}

/** True when the page is scrolled to (near) its end: new entries then keep it there. */
const atBottom = (): boolean => window.innerHeight + window.scrollY >= document.body.scrollHeight - 40;
const follow = (stick: boolean) => { if (stick) window.scrollTo(0, document.body.scrollHeight); };

const channel = connect<AgentHostMessage, AgentWebviewMessage>('Agent', AgentHostMessageSchema, {
  reset: (msg) => {
    const stick = atBottom();
    app.replaceChildren(headerSlot, notice, h('h3', 'Transcript', 'section-title'), conversation.root);
    showHeader(msg.header);
    notice.replaceChildren();
    if (msg.problem) notice.append(h('p', `Part of the transcript file could not be read: ${msg.problem}`, 'problem'));
    if (msg.loading) notice.append(h('p', 'Reading the transcript…', 'muted'));
    else if (!msg.entries.length) notice.append(h('p', msg.header.status === 'pending' || msg.header.status === 'queued' ? 'The agent has not started: its conversation appears here as it works.' : 'No transcript was recorded for this agent.', 'muted'));
    conversation.reset(msg.entries, msg.header.simulated);
    count = msg.entries.length;
    follow(stick || msg.header.live);
    // Only the header is kept for a reload: the host re-sends the transcript on `ready`.
    channel.save({ type: 'reset', header: msg.header, entries: [], problem: null, loading: true });
  },
  append: (msg) => {
    const stick = atBottom();
    if (msg.header) showHeader(msg.header);
    if (msg.entries.length) {
      if (!count) notice.replaceChildren();
      conversation.append(msg.entries);
      count += msg.entries.length;
    }
    follow(stick);
    if (msg.header) channel.save({ type: 'reset', header: msg.header, entries: [], problem: null, loading: true });
  },
  gone: (msg) => { app.replaceChildren(h('p', msg.note, 'muted empty')); },
});
// Elapsed time of a running agent: the header ticks without a message from the host.
setInterval(() => {
  const time = document.getElementById('agent-time');
  if (header?.startedAt && !header.endedAt && time) time.textContent = elapsed(header, Date.now());
}, 1000);
channel.start();
