/**
 * The "Orchestration" log channel: the engine's Logger plus one line per run event. The channel's
 * own level filter (Developer: Set Log Level) decides what shows; usage lines go to trace.
 */
import * as vscode from 'vscode';
import { redactText, type EngineEvent, type Logger } from '../engine';
import { Disposable } from './dispose';
import type { RunEvent } from './runs/runStore';

/** Defence in depth: a key pasted into a task or echoed in an error never reaches the log (the engine's one redaction). */
export function redact(text: string): string {
  return redactText(text);
}

export function formatEvent(runId: string, e: EngineEvent): { level: 'trace' | 'info' | 'warn' | 'error'; line: string } {
  const p = `[${runId}]`;
  switch (e.type) {
    case 'run': return { level: 'info', line: `${p} run ${e.status}${e.reason ? `: ${e.reason}` : ''}` };
    case 'agent': return {
      level: e.status === 'failed' ? 'warn' : 'info',
      line: `${p} ${e.id} ${e.status}${e.attempt ? ` (attempt ${e.attempt})` : ''}${e.error ? `: ${e.error}` : ''}`,
    };
    case 'usage': return {
      level: 'trace',
      line: `${p} ${e.id} ${e.model} in ${e.usage.input} out ${e.usage.output} cache r/w ${e.usage.cacheRead}/${e.usage.cacheWrite} $${e.costUsd.toFixed(4)}`,
    };
    case 'tool': return { level: e.ok ? 'trace' : 'warn', line: `${p} ${e.id} tool ${e.name} ${e.ok ? 'ok' : 'refused'}${e.detail ? `: ${e.detail}` : ''}` };
    case 'return': return { level: 'info', line: `${p} ${e.id} returned (${e.tokens} tok): ${e.text}` };
    case 'changes': return { level: 'info', line: `${p} ${e.id} changed ${e.files.length} file(s), +${e.added} −${e.removed}` };
    case 'redactions': return { level: 'info', line: `${p} ${e.id} withheld ${e.count} secret(s) (${e.total} so far)` };
    case 'log': return { level: e.level, line: `${p} ${e.message}` };
    case 'command': return { level: 'info', line: `${p} command ${e.command}${e.agentId ? ` ${e.agentId}` : ''}: ${e.detail}` };
    case 'ledger': return { level: 'trace', line: `${p} ledger ${e.change.kind}` };
  }
}

export class OrchestrationLog extends Disposable implements Logger {
  private readonly channel = this._register(vscode.window.createOutputChannel('Orchestration', { log: true }));

  /** One engine event as one line at the level its kind deserves. */
  event({ runId, event }: RunEvent): void {
    const { level, line } = formatEvent(runId, event);
    this.channel[level](redact(line));
  }

  info(msg: string): void { this.channel.info(redact(msg)); }
  warn(msg: string): void { this.channel.warn(redact(msg)); }
  error(msg: string): void { this.channel.error(redact(msg)); }

  show(): void { this.channel.show(true); }
}

/** Pipes a store's run events into the log for as long as it lives. */
export class RunEventLog extends Disposable {
  constructor(events: vscode.Event<RunEvent>, log: Pick<OrchestrationLog, 'event'>) {
    super();
    this._register(events((e) => log.event(e)));
  }
}
