import { afterEach, describe, expect, it, vi } from 'vitest';
import { Debouncer } from '../../src/vscode/debounce';
import { Disposable, toDisposable } from '../../src/vscode/dispose';

/** Exposes the protected `_register` so tests can feed it directly. */
class Owner extends Disposable {
  register<T extends { dispose(): void }>(d: T): T { return this._register(d); }
  get isDisposed(): boolean { return this._isDisposed; }
}

function recorder(log: string[], name: string) {
  return { dispose: vi.fn(() => { log.push(name); }) };
}

describe('Disposable', () => {
  it('disposes what was registered once, however often dispose() is called', () => {
    const owner = new Owner();
    const d = owner.register(recorder([], 'a'));
    owner.dispose();
    owner.dispose();
    expect(d.dispose).toHaveBeenCalledTimes(1);
    expect(owner.isDisposed).toBe(true);
  });

  it('disposes in reverse registration order, so listeners go before the emitters they feed', () => {
    const owner = new Owner();
    const log: string[] = [];
    owner.register(recorder(log, 'emitter'));
    owner.register(recorder(log, 'view'));
    owner.register(recorder(log, 'listener'));
    owner.dispose();
    expect(log).toEqual(['listener', 'view', 'emitter']);
  });

  it('disposes at once whatever is registered after dispose(), and returns it', () => {
    const owner = new Owner();
    owner.dispose();
    const late = recorder([], 'late');
    expect(owner.register(late)).toBe(late);
    expect(late.dispose).toHaveBeenCalledTimes(1);
    owner.dispose();
    expect(late.dispose).toHaveBeenCalledTimes(1);
  });

  it('keeps disposing the rest when one throws, then rethrows that error', () => {
    const owner = new Owner();
    const log: string[] = [];
    owner.register(recorder(log, 'first'));
    owner.register({ dispose: () => { throw new Error('boom'); } });
    owner.register(recorder(log, 'last'));
    expect(() => owner.dispose()).toThrow('boom');
    expect(log).toEqual(['last', 'first']);
    expect(() => owner.dispose()).not.toThrow();
  });

  it('reports every failure when several throw', () => {
    const owner = new Owner();
    const log: string[] = [];
    owner.register({ dispose: () => { throw new Error('one'); } });
    owner.register(recorder(log, 'middle'));
    owner.register({ dispose: () => { throw new Error('two'); } });
    let caught: unknown;
    try { owner.dispose(); } catch (err) { caught = err; }
    expect(caught).toBeInstanceOf(AggregateError);
    expect((caught as AggregateError).errors.map((e: Error) => e.message)).toEqual(['two', 'one']);
    expect(log).toEqual(['middle']);
  });

  it('wraps a cleanup function with toDisposable', () => {
    const fn = vi.fn();
    const owner = new Owner();
    owner.register(toDisposable(fn));
    owner.dispose();
    expect(fn).toHaveBeenCalledTimes(1);
  });
});

describe('Debouncer disposal', () => {
  afterEach(() => { vi.useRealTimers(); });

  it('drops a pending call and ignores later schedules and flushes', async () => {
    vi.useFakeTimers();
    const fn = vi.fn();
    const d = new Debouncer(fn, 100);
    d.schedule();
    d.dispose();
    d.dispose();
    d.schedule();
    d.flush();
    await vi.advanceTimersByTimeAsync(1000);
    expect(fn).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });
});
