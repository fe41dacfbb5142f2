import { beforeEach, describe, expect, it, vi } from 'vitest';
vi.mock('vscode', async () => await import('./vscode-stub'));
import { Notices } from '../../src/vscode/notices';
import { resetStub, window } from './vscode-stub';

/** A toast the test answers (or closes) later: the window keeps it open meanwhile. */
function pendingToast(fn: typeof window.showInformationMessage) {
  let answer!: (choice: string | undefined) => void;
  fn.mockImplementationOnce(() => new Promise((r) => { answer = r; }));
  return (choice?: string) => answer(choice);
}

const toasts = () => [...window.showInformationMessage.mock.calls, ...window.showWarningMessage.mock.calls, ...window.showErrorMessage.mock.calls];

beforeEach(() => { resetStub(); vi.clearAllMocks(); });

describe('Notices: a run\'s end', () => {
  it('notifies once per end: the same end reported twice shows one toast', async () => {
    const n = new Notices();
    await n.runEnded('r1', { severity: 'info', text: 'Run "a" completed.', actions: ['Open Summary'], key: 't1' });
    await n.runEnded('r1', { severity: 'info', text: 'Run "a" completed.', actions: ['Open Summary'], key: 't1' });
    expect(toasts()).toHaveLength(1);
    expect(window.showInformationMessage).toHaveBeenCalledWith('Run "a" completed.', 'Open Summary');
    n.dispose();
  });

  it('never stacks a second toast about a run whose toast is still open: the news goes to the status bar', async () => {
    const n = new Notices();
    const close = pendingToast(window.showWarningMessage);
    const first = n.runEnded('r1', { severity: 'warning', text: 'Run "a" finished with 1 gap: b1.', actions: ['Open Summary', 'Retry Failed Agents'], key: 't1' });
    await n.runEnded('r1', { severity: 'info', text: 'Rerun of b1 finished; the run is completed.', actions: ['Open Summary'], key: 't2' });
    expect(toasts()).toHaveLength(1);
    expect(window.setStatusBarMessage).toHaveBeenCalledWith('Rerun of b1 finished; the run is completed.', expect.any(Number));
    // Another run's end is its own toast.
    await n.runEnded('r2', { severity: 'info', text: 'Run "b" completed.', key: 't1' });
    expect(toasts()).toHaveLength(2);
    close('Open Summary');
    expect(await first).toBe('Open Summary');
    // Once the first toast is gone, the run's next end may toast again.
    await n.runEnded('r1', { severity: 'info', text: 'Run "a" completed.', key: 't3' });
    expect(toasts()).toHaveLength(3);
    n.dispose();
  });

  it('offers at most two actions', async () => {
    const n = new Notices();
    await n.runEnded('r1', { severity: 'warning', text: 'x', actions: ['A', 'B', 'C'] as unknown as ['A', 'B'], key: 'k' });
    expect(window.showWarningMessage).toHaveBeenCalledWith('x', 'A', 'B');
    n.dispose();
  });

  it('keeps errors as errors', async () => {
    const n = new Notices();
    await n.runEnded('r1', { severity: 'error', text: 'Run "a" failed: quota.', actions: ['Open Summary'], key: 'k' });
    await n.error('Cannot run r1: bad config', 'Show Log');
    expect(window.showErrorMessage).toHaveBeenCalledTimes(2);
    expect(window.showInformationMessage).not.toHaveBeenCalled();
    n.dispose();
  });
});

describe('Notices: confirmations and refusals', () => {
  it('shows a confirmation in the status bar for a while, replacing the previous one', () => {
    const n = new Notices();
    n.status('Applied 3 files to your working tree (not committed).');
    const first = window.setStatusBarMessage.mock.results[0].value as { dispose: ReturnType<typeof vi.fn> };
    n.status('Anthropic API key stored in SecretStorage.');
    expect(first.dispose).toHaveBeenCalled();
    expect(window.setStatusBarMessage).toHaveBeenLastCalledWith('Anthropic API key stored in SecretStorage.', expect.any(Number));
    expect(toasts()).toHaveLength(0);
    n.dispose();
    n.dispose();
    expect((window.setStatusBarMessage.mock.results[1].value as { dispose: ReturnType<typeof vi.fn> }).dispose).toHaveBeenCalled();
  });

  it('does not stack the same refusal while it is still open', async () => {
    const n = new Notices();
    const close = pendingToast(window.showInformationMessage);
    const first = n.info('No run fits that command.');
    await n.info('No run fits that command.');
    expect(window.showInformationMessage).toHaveBeenCalledTimes(1);
    close();
    await first;
    await n.info('No run fits that command.');
    expect(window.showInformationMessage).toHaveBeenCalledTimes(2);
    n.dispose();
  });
});
