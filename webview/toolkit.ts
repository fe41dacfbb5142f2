/**
 * The only module that knows about @vscode/webview-ui-toolkit (unmaintained upstream): the rest
 * of the webview asks for buttons, tags, links and grids here, so swapping the component
 * library means changing this one file.
 */
import {
  provideVSCodeDesignSystem, vsCodeButton, vsCodeDataGrid, vsCodeDataGridCell, vsCodeDataGridRow,
  vsCodeDivider, vsCodeLink, vsCodeProgressRing,
} from '@vscode/webview-ui-toolkit';

export function registerComponents(): void {
  provideVSCodeDesignSystem().register(
    vsCodeButton(), vsCodeDataGrid(), vsCodeDataGridCell(), vsCodeDataGridRow(),
    vsCodeDivider(), vsCodeLink(), vsCodeProgressRing(),
  );
}

export function button(label: string, onClick: () => void, appearance: 'primary' | 'secondary' = 'primary', id?: string): HTMLElement {
  const b = document.createElement('vscode-button');
  b.setAttribute('appearance', appearance);
  if (id) b.id = id;
  b.textContent = label;
  b.addEventListener('click', onClick);
  return b;
}

/**
 * A status pill. Deliberately not <vscode-tag>: its FAST template binds an inline `style`
 * attribute, which the strict style-src CSP blocks (and reports) on every render.
 */
export function tag(text: string, className?: string): HTMLElement {
  const t = document.createElement('span');
  t.textContent = text;
  t.className = `tag${className ? ` ${className}` : ''}`;
  return t;
}

/** The plan tables' marker of an agent that goes through a Message Batch (batch mode). */
export function batchMark(): HTMLElement {
  const t = tag('batch', 'batch-mark');
  t.title = 'Goes through the Message Batches API: half the realtime price, answered within 24 h';
  return t;
}

/** The plan tables' marker of an agent that runs as the user's agent definition; its title says what it does not get. */
export function definitionMark(name: string, notes: readonly string[]): HTMLElement {
  const t = tag(`@${name}`, 'definition-mark');
  t.title = [`Runs as your agent definition ${name}`, ...notes].join('\n');
  return t;
}

/** A link that never navigates: clicking runs `onClick` (which posts a typed message to the host). */
export function link(text: string, onClick: () => void, title?: string): HTMLElement {
  const a = document.createElement('vscode-link');
  a.setAttribute('href', '#');
  a.textContent = text;
  if (title) a.title = title;
  a.addEventListener('click', (e) => { e.preventDefault(); onClick(); });
  return a;
}

export function divider(): HTMLElement {
  return document.createElement('vscode-divider');
}

export function spinner(): HTMLElement {
  const r = document.createElement('vscode-progress-ring');
  r.className = 'spinner';
  return r;
}

/** A data grid whose cells are DOM nodes (text is always set through textContent by the caller). */
export function grid(columns: string[], rows: Array<Array<Node | string>>, templateColumns: string): HTMLElement {
  const g = document.createElement('vscode-data-grid');
  g.setAttribute('grid-template-columns', templateColumns);
  g.setAttribute('aria-label', 'Plan');
  const row = (cells: Array<Node | string>, header: boolean): HTMLElement => {
    const r = document.createElement('vscode-data-grid-row');
    if (header) r.setAttribute('row-type', 'header');
    cells.forEach((content, i) => {
      const c = document.createElement('vscode-data-grid-cell');
      c.setAttribute('grid-column', String(i + 1));
      if (header) c.setAttribute('cell-type', 'columnheader');
      if (typeof content === 'string') c.textContent = content;
      else c.append(content);
      r.append(c);
    });
    return r;
  };
  g.append(row(columns, true), ...rows.map((cells) => row(cells, false)));
  // The sidebar is narrow: the grid keeps readable columns and the wrapper scrolls sideways.
  const wrapper = document.createElement('div');
  wrapper.className = 'grid-scroll';
  wrapper.append(g);
  return wrapper;
}
