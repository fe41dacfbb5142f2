/**
 * The agent's transcript as a conversation, built incrementally: a reset renders everything, an
 * append adds only the new entries (a text delta extends the text being streamed; a tool result
 * fills in its call). Model text becomes DOM only as text or sanitised markdown.
 */
import type { EntryView } from '../../src/shared/agentProtocol';
import { h } from '../dom';
import { duration, tokens, usd } from '../format';
import { renderMarkdown } from '../markdownDom';

export interface ConversationActions { openFile(path: string): void }

/** A short tool input on one line (`{"path":"src/a.ts"}`), or null when it is long enough to fold. */
function compact(input: string): string | null {
  let text = input;
  try {
    text = JSON.stringify(JSON.parse(input));
  } catch {
    // Not JSON (a cut input): shown as it came.
  }
  return text.length <= 160 && !text.includes('\n') ? text : null;
}

export class Conversation {
  readonly root = h('ol', undefined, 'conversation');
  /** The text block being streamed, per attempt (deltas append to its text node). */
  private streaming: { attempt: number; block: HTMLElement; text: Text } | null = null;
  private readonly calls = new Map<string, HTMLElement>();
  private simulated = false;

  constructor(private readonly act: ConversationActions) {
    this.root.id = 'conversation';
    this.root.setAttribute('aria-live', 'off');
  }

  reset(entries: readonly EntryView[], simulated: boolean): void {
    this.simulated = simulated;
    this.root.replaceChildren();
    this.streaming = null;
    this.calls.clear();
    this.append(entries);
  }

  append(entries: readonly EntryView[]): void {
    for (const e of entries) this.add(e);
  }

  private item(kind: string, ...children: Node[]): HTMLElement {
    const li = h('li', undefined, `entry entry-${kind}`);
    li.append(...children);
    this.root.append(li);
    return li;
  }

  private add(e: EntryView): void {
    switch (e.type) {
      case 'text_delta': {
        if (this.streaming?.attempt !== e.attempt) {
          const text = document.createTextNode('');
          const body = h('div', undefined, 'streaming-text');
          body.append(text);
          const block = this.item('text', h('div', 'assistant · streaming', 'entry-label'), body);
          block.classList.add('streaming');
          this.streaming = { attempt: e.attempt, block, text };
        }
        this.streaming.text.appendData(e.text);
        return;
      }
      case 'text': {
        const body = h('div', undefined, 'markdown');
        body.append(renderMarkdown(e.text, (p) => this.act.openFile(p)));
        const label = h('div', 'assistant', 'entry-label');
        // The whole response replaces what streamed of it.
        if (this.streaming?.attempt === e.attempt) {
          this.streaming.block.classList.remove('streaming');
          this.streaming.block.replaceChildren(label, body);
          this.streaming = null;
        } else {
          this.item('text', label, body);
        }
        return;
      }
      case 'attempt': {
        const head = h('div', undefined, 'attempt-head');
        head.append(h('strong', `Attempt ${e.attempt}`), h('span', ` · ${e.model}`, 'muted'));
        const parts: Node[] = [head];
        if (e.instruction) parts.push(h('div', `Extra instruction: ${e.instruction}`, 'instruction'));
        const prompt = document.createElement('details');
        prompt.append(h('summary', `Prompt (${tokens(e.promptBytes)} bytes${e.prompt.length < e.promptBytes ? ', start shown' : ''})`), h('pre', e.prompt, 'prompt'));
        parts.push(prompt);
        this.item('attempt', ...parts);
        this.streaming = null;
        return;
      }
      case 'request':
        this.streaming = null;
        this.item('request', h('span', `Request ${e.turn} → ${e.model}`, 'muted'));
        return;
      case 'tool_call': {
        const head = h('div', undefined, 'tool-head');
        head.append(h('span', '⚙', 'tool-icon'), h('code', e.name, 'tool-name'));
        const short = compact(e.input);
        if (short !== null) head.append(h('code', short, 'tool-input inline'));
        head.append(h('span', ' running…', 'muted tool-pending'));
        const parts: Node[] = [head];
        if (short === null) {
          const d = document.createElement('details');
          d.append(h('summary', `input (${e.input.length} characters)`), h('pre', e.input, 'tool-input'));
          parts.push(d);
        }
        const li = this.item('tool', ...parts);
        li.dataset.call = e.id;
        this.calls.set(e.id, li);
        this.streaming = null;
        return;
      }
      case 'tool_result': {
        const call = this.calls.get(e.id);
        const result = h('div', undefined, `tool-result ${e.ok ? 'ok' : 'refused'}`);
        const head = h('div', undefined, 'tool-result-head');
        head.append(h('span', e.ok ? '✓ result' : '✗ refused', e.ok ? 'ok-mark' : 'refused-mark'), h('span', ` · ${tokens(e.bytes)} bytes${e.excerpt.length < e.bytes ? ', excerpt' : ''}`, 'muted'));
        result.append(head, h('pre', e.excerpt, 'tool-output'));
        if (call) {
          call.querySelector('.tool-pending')?.remove();
          call.append(result);
        } else {
          this.item('tool', result);
        }
        return;
      }
      case 'usage': {
        const u = e.usage;
        const line = `in ${tokens(u.input)} · out ${tokens(u.output)} · cache read ${tokens(u.cacheRead)} · cache write ${tokens(u.cacheWrite)} · ${this.simulated ? `would cost ${usd(e.costUsd)}` : usd(e.costUsd)}${e.stopReason ? ` · ${e.stopReason}` : ''}`;
        this.item('usage', h('span', line, 'muted'));
        return;
      }
      case 'error':
        this.item('error', h('strong', e.transient ? 'Transient error: ' : 'Error: '), h('span', e.message));
        return;
      case 'retry':
        this.item('retry', h('span', `↻ Retry ${e.n} in ${duration(e.waitMs)}: ${e.reason}`));
        this.streaming = null;
        return;
      case 'ask':
        this.item('ask', h('div', 'you asked', 'entry-label'), h('div', e.question, 'question'));
        return;
      case 'answer': {
        const body = h('div', undefined, 'markdown');
        body.append(renderMarkdown(e.text, (p) => this.act.openFile(p)));
        const link = h('a', e.file, 'agent-link');
        link.href = '#';
        link.addEventListener('click', (ev) => { ev.preventDefault(); this.act.openFile(e.file); });
        const label = h('div', 'answer · ', 'entry-label');
        label.append(link);
        this.item('answer', label, body);
        return;
      }
      case 'truncated':
        this.item('truncated', h('span', `The transcript reached its size limit: ${e.droppedEntries} later entries (${tokens(e.droppedBytes)} bytes) were left out (setting orchestration.transcriptMaxBytes).`));
        return;
    }
  }
}
