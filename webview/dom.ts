/**
 * DOM helpers for the editor panels. Every string from the host goes in through textContent (or
 * an SVG <title>'s textContent); nothing here parses HTML.
 */
const SVG_NS = 'http://www.w3.org/2000/svg';

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, className?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (className) e.className = className;
  return e;
}

/** An SVG element; attribute values are set as attributes, never parsed as markup. */
export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

/** A tooltip for an SVG shape, as text. */
export function svgTitle(el: SVGElement, text: string): void {
  const t = svg('title');
  t.textContent = text;
  el.append(t);
}

/** A section with a small uppercase heading, like the Summary view's. */
export function section(title: string, id: string, ...children: Node[]): HTMLElement {
  const s = h('section', undefined, 'section');
  s.id = id;
  s.append(h('h3', title), ...children);
  return s;
}

/** Makes an element act as a button for mouse and keyboard (Enter, Space). */
export function clickable<E extends Element>(el: E, onActivate: () => void, label?: string): E {
  el.setAttribute('role', 'button');
  el.setAttribute('tabindex', '0');
  if (label) el.setAttribute('aria-label', label);
  el.addEventListener('click', (e) => { e.preventDefault(); onActivate(); });
  el.addEventListener('keydown', (e) => {
    const key = (e as KeyboardEvent).key;
    if (key === 'Enter' || key === ' ') { e.preventDefault(); onActivate(); }
  });
  return el;
}

/**
 * Re-renders `root` with `build()` while keeping the user's place: the element that had focus
 * (by its data-key) gets it back, and the page keeps its scroll position.
 */
export function rerender(root: HTMLElement, build: () => Node): void {
  const active = document.activeElement instanceof HTMLElement || document.activeElement instanceof SVGElement ? document.activeElement : null;
  const key = active?.closest('[data-key]')?.getAttribute('data-key') ?? null;
  const { scrollX, scrollY } = window;
  root.replaceChildren(build());
  if (key) root.querySelector<HTMLElement>(`[data-key="${CSS.escape(key)}"]`)?.focus({ preventScroll: true });
  window.scrollTo(scrollX, scrollY);
}
