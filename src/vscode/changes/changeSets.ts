/**
 * The build runs' change sets (changes.json), read from the run folders and cached per run until
 * the run's ledger moves on, so the tree can ask on every refresh without touching the disk.
 */
import { producesChanges, readChangeSet, type ChangeSet } from '../../engine';
import { Disposable } from '../dispose';
import type { RunStore } from '../runs/runStore';
import * as vscode from 'vscode';

export class ChangeSets extends Disposable {
  private readonly cache = new Map<string, { stamp: string; set: ChangeSet | null }>();
  private readonly loading = new Map<string, Promise<ChangeSet | null>>();
  private readonly changed = this._register(new vscode.EventEmitter<string>());
  /** A run's change set was (re)read and differs from the cached one. */
  readonly onDidChange = this.changed.event;

  constructor(private readonly store: RunStore) {
    super();
  }

  /** What is known now (possibly stale); starts a read when the run moved on since the last one. */
  peek(runId: string): ChangeSet | null | undefined {
    const s = this.store.get(runId);
    if (!s || !producesChanges(s.pattern)) return null;
    const hit = this.cache.get(runId);
    if (!hit || hit.stamp !== s.updatedAt) void this.load(runId);
    return hit?.set;
  }

  /** Reads changes.json now (after apply or discard, or when the tree expands a run). */
  load(runId: string): Promise<ChangeSet | null> {
    const pending = this.loading.get(runId);
    if (pending) return pending;
    const stamp = this.store.get(runId)?.updatedAt ?? '';
    const dir = this.store.runDir(runId);
    const p = (dir ? readChangeSet(dir) : Promise.resolve(null)).catch(() => null).then((set) => {
      const before = this.cache.get(runId)?.set;
      this.cache.set(runId, { stamp, set });
      if (JSON.stringify(before) !== JSON.stringify(set)) this.changed.fire(runId);
      return set;
    }).finally(() => this.loading.delete(runId));
    this.loading.set(runId, p);
    return p;
  }

  forget(runId: string): void {
    this.cache.delete(runId);
  }
}
