import { describe, expect, it } from 'vitest';
import { AgentHostMessageSchema, AgentWebviewMessageSchema } from '../../src/shared/agentProtocol';
import { DashboardHostMessageSchema, DashboardWebviewMessageSchema } from '../../src/shared/dashboardProtocol';
import { PlanWebviewMessageSchema } from '../../src/shared/planProtocol';

describe('editor panel messages from the webview', () => {
  it.each([
    [DashboardWebviewMessageSchema, { type: 'ready' }],
    [DashboardWebviewMessageSchema, { type: 'showAgent', agentId: 'coord-a' }],
    [DashboardWebviewMessageSchema, { type: 'expand', laneId: 'map', expanded: true, page: 3 }],
    [DashboardWebviewMessageSchema, { type: 'openFile', path: 'checks/integration-0.log' }],
    [DashboardWebviewMessageSchema, { type: 'showSummary' }],
    [AgentWebviewMessageSchema, { type: 'stop' }],
    [AgentWebviewMessageSchema, { type: 'openFile', path: 'asks/a1-1.md' }],
    [PlanWebviewMessageSchema, { type: 'edit', edit: { kind: 'tier', agentId: 'a1', tier: 'opus' } }],
    [PlanWebviewMessageSchema, { type: 'edit', edit: { kind: 'add', group: 'a', task: 'Check CORS', scope: ['src'], tier: 'haiku', label: 'x' } }],
    [PlanWebviewMessageSchema, { type: 'approve' }],
  ] as const)('accepts %#', (schema, msg) => {
    expect(schema.safeParse(msg).success).toBe(true);
  });

  it.each([
    [DashboardWebviewMessageSchema, { type: 'showAgent', agentId: '../../x' }],
    [DashboardWebviewMessageSchema, { type: 'showAgent', agentId: 'a1', runId: 'other' }],
    [DashboardWebviewMessageSchema, { type: 'expand', laneId: 'a', expanded: true, page: -1 }],
    [DashboardWebviewMessageSchema, { type: 'openFile', path: '' }],
    [DashboardWebviewMessageSchema, { type: 'showSummary', runId: 'other' }],
    [AgentWebviewMessageSchema, { type: 'stop', agentId: 'a2' }],
    [AgentWebviewMessageSchema, { type: 'openFile', path: '' }],
    [AgentWebviewMessageSchema, { type: 'runShell', command: 'rm -rf /' }],
    [PlanWebviewMessageSchema, { type: 'edit', edit: { kind: 'tier', agentId: 'a1', tier: 'gpt-9' } }],
    [PlanWebviewMessageSchema, { type: 'edit', edit: { kind: 'rename', agentId: 'a1' } }],
    [PlanWebviewMessageSchema, { type: 'approve', plan: {} }],
    [PlanWebviewMessageSchema, null],
  ] as const)('rejects %#', (schema, msg) => {
    expect(schema.safeParse(msg).success).toBe(false);
  });
});

describe('editor panel messages from the host', () => {
  it('rejects state that would carry markup-bearing or unbounded fields the view does not expect', () => {
    expect(DashboardHostMessageSchema.safeParse({ type: 'state', view: null, note: null }).success).toBe(true);
    expect(DashboardHostMessageSchema.safeParse({ type: 'state', view: null, note: null, html: '<b>' }).success).toBe(false);
    expect(AgentHostMessageSchema.safeParse({ type: 'append', header: null, entries: [{ t: 'x', attempt: 1, type: 'text', text: 'y'.repeat(40_001) }] }).success).toBe(false);
    expect(AgentHostMessageSchema.safeParse({ type: 'append', header: null, entries: [{ t: 'x', attempt: 1, type: 'script', text: 'y' }] }).success).toBe(false);
  });
});
