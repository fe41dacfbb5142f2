/**
 * One event for every transcript entry of every run this window executes (a run, a rerun, an
 * added worker, an answer), whichever controller started it. Agent views listen here instead of
 * holding on to Run objects that come and go.
 */
import * as vscode from 'vscode';
import type { Run, TranscriptEntry } from '../../engine';
import { Disposable, toDisposable } from '../dispose';

type FollowedRun = Pick<Run, 'id' | 'onDidTranscript'>;

export interface RunTranscriptEvent { runId: string; agentId: string; entry: TranscriptEntry }

export class TranscriptRelay extends Disposable {
  private readonly emitter = this._register(new vscode.EventEmitter<RunTranscriptEvent>());
  private readonly following = new Map<FollowedRun, vscode.Disposable>();
  readonly onDidTranscript = this.emitter.event;

  constructor() {
    super();
    this._register(toDisposable(() => {
      for (const sub of this.following.values()) sub.dispose();
      this.following.clear();
    }));
  }

  /** Relays `run`'s entries until the returned disposable is disposed (following one run twice is one subscription). */
  follow(run: FollowedRun): vscode.Disposable {
    if (!this.following.has(run)) {
      this.following.set(run, run.onDidTranscript(({ agentId, entry }) => this.emitter.fire({ runId: run.id, agentId, entry })));
    }
    return toDisposable(() => {
      this.following.get(run)?.dispose();
      this.following.delete(run);
    });
  }
}
