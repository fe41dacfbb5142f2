import { describe, expect, it, vi } from 'vitest';
vi.mock('vscode', async () => await import('./vscode-stub'));
import { statusText } from '../../src/vscode/statusBar';
import { snapshot } from './vscode/fixtures';

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

  it('clicks through to the Summary view on the run, not to a summary.md that may not exist yet', () => {
    expect(statusText([snapshot()])!.runId).toBe(snapshot().runId);
    expect(statusText([snapshot({ status: 'declined' })])).toBeUndefined();
  });
});
