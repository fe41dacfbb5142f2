import { describe, expect, it, vi } from 'vitest';
vi.mock('vscode', async () => await import('./vscode-stub'));
import { statusText } from '../../src/vscode/tree/statusBar';
import { agent, snapshot } from './vscode/fixtures';

describe('status bar', () => {
  it('shows a simulated run\'s money as what it would cost, never as spent', () => {
    const s = statusText([snapshot()])!;
    expect(s.text).toMatch(/· would cost \$0\.42$/);
    expect(s.tooltip).toContain('simulated: nothing spent, the same run would cost $0.42');
    expect(s.tooltip).not.toContain('spent so far');
  });

  it('shows a real run\'s money as spent, and keeps the two apart when both run', () => {
    expect(statusText([snapshot({ simulated: false })])!.text).toMatch(/· \$0\.42$/);
    const both = statusText([snapshot({ simulated: false }), snapshot({ runId: '20250601-120000-cd34' })])!;
    expect(both.text).toMatch(/· \$0\.42 · would cost \$0\.42$/);
  });

  it('counts done/total as every view does: completed agents of the plan, the planner left out', () => {
    const s = snapshot();
    const planner = agent({ id: 'planner', role: 'planner', domain: null, status: 'completed' });
    // Fixture: a1 and coord-b completed, a2 running, b1 failed, coord-a and final pending.
    expect(statusText([{ ...s, agents: [planner, ...s.agents] }])!.text).toMatch(/^\$\(loading~spin\) 1 running · 2\/6 · /);
    expect(statusText([s])!.tooltip).toContain('1 agent running, 2 of 6 completed, 1 failed');
  });

  it('clicks through to the Summary view on the run, not to a summary.md that may not exist yet', () => {
    expect(statusText([snapshot()])!.runId).toBe(snapshot().runId);
    expect(statusText([snapshot({ status: 'declined' })])).toBeUndefined();
  });
});
