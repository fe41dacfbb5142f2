/**
 * The dashboard's task board: a column per stage (plan → build → check → review → integrate →
 * harden → ship), a card per builder in the column its change has reached. A card opens its
 * builder; a blocked card says why in its own words. Cards that changed column since the last
 * state flash once, so a live board shows what just moved.
 */
import type { Board, BoardCard } from '../../src/shared/dashboardProtocol';
import { plural } from '../../src/shared/words';
import { clickable, h } from '../dom';

export interface BoardActions {
  showAgent(agentId: string): void;
}

const STATE_GLYPH: Record<BoardCard['state'], string> = { waiting: '○', active: '◐', done: '✓', blocked: '✗', stopped: '⊘' };

function chips(c: BoardCard): HTMLElement | null {
  const f = c.findings;
  if (!f.critical && !f.major && !f.minor) return null;
  const box = h('span', undefined, 'board-chips');
  for (const sev of ['critical', 'major', 'minor'] as const) {
    if (!f[sev]) continue;
    const chip = h('span', `${f[sev]} ${sev}`, `board-chip severity-${sev}`);
    chip.title = `${plural(f[sev], `${sev} finding`)} in the files ${c.id} owns`;
    box.append(chip);
  }
  return box;
}

function card(c: BoardCard, act: BoardActions, moved: boolean): HTMLElement {
  const el = h('article', undefined, `board-card state-${c.state}${moved ? ' moved' : ''}`);
  el.dataset.card = c.id;
  el.dataset.key = `card:${c.id}`;
  el.dataset.column = c.column;
  el.dataset.state = c.state;
  const head = h('div', undefined, 'board-card-head');
  head.append(h('span', STATE_GLYPH[c.state], 'glyph'), h('span', c.id, 'board-card-id'));
  const ch = chips(c);
  if (ch) head.append(ch);
  el.append(head, h('div', c.label, 'board-card-label'), h('div', c.note, 'board-card-note'));
  if (c.files.length) {
    const files = h('div', c.files.join(', ') + (c.moreFiles ? ` +${c.moreFiles}` : ''), 'board-card-files');
    files.title = c.files.join('\n') + (c.moreFiles ? `\n… and ${plural(c.moreFiles, 'more file')}` : '');
    el.append(files);
  }
  if (c.blocked) {
    const why = h('p', c.blocked.reason, 'board-card-blocked');
    why.dataset.kind = c.blocked.kind;
    el.append(why);
  }
  el.title = `${c.id}: ${c.task}\n${c.note}${c.blocked ? `\n${c.blocked.reason}` : ''}\nClick to open the agent.`;
  return clickable(el, () => act.showAgent(c.id), `Open ${c.id} (${c.column}, ${c.state}${c.blocked ? `: ${c.blocked.reason}` : ''})`);
}

/** `moved`: cards whose column changed since the state before, which flash once. */
export function renderBoard(board: Board, act: BoardActions, moved: ReadonlySet<string> = new Set()): HTMLElement {
  const root = h('div', undefined, 'board');
  root.id = 'board';
  // Columns with cards get the width; an empty one keeps its name and count in a narrow strip, so
  // seven columns fit a normal editor without squeezing the cards. (CSSOM, which the CSP allows.)
  root.style.gridTemplateColumns = board.columns
    .map((col) => (board.cards.some((c) => c.column === col.id) ? 'minmax(120px, 1fr)' : 'minmax(96px, 0.5fr)')).join(' ');
  for (const col of board.columns) {
    const mine = board.cards.filter((c) => c.column === col.id);
    const column = h('section', undefined, `board-col${mine.length ? '' : ' empty'}`);
    column.dataset.column = col.id;
    column.setAttribute('aria-label', `${col.label}: ${plural(mine.length, 'card')}${col.note ? `, ${col.note}` : ''}`);
    const head = h('div', undefined, 'board-col-head');
    // An empty column says so by being empty; its narrow strip keeps room for the whole name.
    head.append(h('span', col.label, 'board-col-title'));
    if (mine.length) head.append(h('span', String(mine.length), 'board-count'));
    if (col.note) {
      const note = h('div', col.note, `board-col-note${col.alert ? ' alert' : ''}`);
      note.title = col.note;
      head.append(note);
    }
    column.append(head);
    const cards = h('div', undefined, 'board-cards');
    cards.append(...mine.map((c) => card(c, act, moved.has(c.id))));
    column.append(cards);
    root.append(column);
  }
  return root;
}
