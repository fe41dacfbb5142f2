/** The agent view's header: who the agent is, where it stands, what it cost, and the commands that apply. */
import type { AgentHeader } from '../../src/shared/agentProtocol';
import { h } from '../dom';
import { duration, GLYPH, tokens, usd } from '../format';
import { button, tag } from '../toolkit';

export interface HeaderActions {
  stop(): void;
  rerun(): void;
  ask(): void;
  openOutput(): void;
}

export function elapsed(a: AgentHeader, now: number): string {
  if (!a.startedAt) return '—';
  const end = a.endedAt ? Date.parse(a.endedAt) : now;
  return duration(Math.max(0, end - Date.parse(a.startedAt)));
}

export function renderHeader(a: AgentHeader, act: HeaderActions, now = Date.now()): HTMLElement {
  const head = h('header', undefined, 'panel-header agent-header');
  const title = h('h2', undefined, 'task');
  title.append(h('span', `${GLYPH[a.status] ?? '•'} `, `glyph status-${a.status}`), h('code', a.id), h('span', ` ${a.task}`));
  title.id = 'agent-task';
  const meta = h('div', undefined, 'meta');
  const status = tag(a.status, `status status-${a.status}`);
  status.id = 'agent-status';
  meta.append(status, tag(a.role, 'role-tag'));
  if (a.group) meta.append(h('span', a.group, 'muted'));
  if (a.simulated) meta.append(tag('simulated', 'simulated'));
  if (a.live) meta.append(h('span', 'live', 'live-dot'));
  meta.append(h('span', `run: ${a.runTask}`, 'muted run-line'));
  head.append(title, meta);

  const facts = h('dl', undefined, 'facts');
  const fact = (k: string, v: string, id?: string) => {
    const dd = h('dd', v);
    if (id) dd.id = id;
    facts.append(h('dt', k), dd);
  };
  const model = a.modelReported && a.modelReported !== a.modelRequested ? `${a.modelRequested} requested, ${a.modelReported} reported` : a.modelRequested;
  fact('Model', `${a.tier} → ${model}`);
  fact('Attempts', `${a.attempts} · ${a.requests} requests · ${a.toolCalls} tool calls`, 'agent-attempts');
  const u = a.usage;
  fact('Tokens', `in ${tokens(u.input)} · out ${tokens(u.output)} · cache read ${tokens(u.cacheRead)} · cache write ${tokens(u.cacheWrite)}`);
  // The label says "would"; the value need not say it again.
  fact(a.simulated ? 'Would cost' : 'Cost', usd(a.costUsd));
  fact('Time', elapsed(a, now), 'agent-time');
  fact('Scope', a.scope.join(', ') || '(the whole workspace)');
  fact('Output', a.outputFile);
  head.append(facts);
  if (a.error) head.append(h('p', a.error, 'agent-error'));
  if (a.returned) {
    const r = h('p', undefined, 'returned');
    r.append(h('strong', 'Returned: '), h('span', a.returned));
    head.append(r);
  }
  const buttons = h('div', undefined, 'actions');
  if (a.actions.stop) buttons.append(button('Stop Agent', () => act.stop(), 'secondary', 'stop'));
  if (a.actions.rerun) buttons.append(button('Rerun…', () => act.rerun(), 'secondary', 'rerun'));
  if (a.actions.ask) buttons.append(button('Ask…', () => act.ask(), 'secondary', 'ask'));
  if (a.actions.openOutput) buttons.append(button('Open Output', () => act.openOutput(), 'secondary', 'open-output'));
  if (buttons.childElementCount) head.append(buttons);
  return head;
}
