/**
 * The base of every disposable glue object (after vscode-pull-request-github's `Disposable`):
 * emitters, listeners, views and timers go through `_register` and are released by one
 * `dispose()`. Type-only import of 'vscode', so pure helpers such as the Debouncer can extend it.
 */
import type * as vscode from 'vscode';

/** Wraps a cleanup function, e.g. `clearInterval`, so it can be registered like any disposable. */
export function toDisposable(fn: () => void): vscode.Disposable {
  return { dispose: fn };
}

export abstract class Disposable implements vscode.Disposable {
  private readonly _toDispose: vscode.Disposable[] = [];
  protected _isDisposed = false;

  /** Releases `d` with this object; after dispose() it is released at once, so nothing leaks. */
  protected _register<T extends vscode.Disposable>(d: T): T {
    if (this._isDisposed) d.dispose();
    else this._toDispose.push(d);
    return d;
  }

  /**
   * Releases what was registered, newest first (a listener goes before the emitter it feeds).
   * Safe to call twice. One failing disposable does not keep the rest alive; its error is
   * rethrown once all have run.
   */
  dispose(): void {
    if (this._isDisposed) return;
    this._isDisposed = true;
    const errors: unknown[] = [];
    for (let d = this._toDispose.pop(); d; d = this._toDispose.pop()) {
      try {
        d.dispose();
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, `${errors.length} disposables failed to dispose`);
  }
}
