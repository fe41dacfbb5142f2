import { h } from './dom';

/**
 * What a plan says about trust (the repository's command it will run, settings the repository set
 * that were not obeyed), shown above Approve in the Summary and the plan editor, never folded away.
 */
export function renderNotes(notes: readonly string[]): Node {
  const box = h('div', undefined, 'trust-notes');
  box.id = 'trust-notes';
  box.setAttribute('role', 'note');
  for (const n of notes) box.append(h('p', n, 'trust-note'));
  return box;
}
