/** Rough token count (≈4 characters a token), used where no API count exists. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/**
 * A worker's return: `Done. <one sentence>` (or `Failed. …`), at most `maxChars`. The status word
 * is kept with the sentence after it; anything beyond is dropped and an over-long sentence is cut
 * on a word boundary, so nothing a worker says can flood its coordinator.
 */
export function trimToSentence(text: string, maxChars = 200): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const status = flat.match(/^(done|failed)\.\s*/i);
  const rest = status ? flat.slice(status[0].length) : flat;
  const m = rest.match(/^.*?[.!?](?=\s|$)/);
  const sentence = (status ? status[0] : '') + (m ? m[0] : rest);
  return cut(sentence.trim(), maxChars);
}

/** A coordinator's return: at most `maxWords` words, keeping line structure. */
export function trimToWords(text: string, maxWords = 300): string {
  const trimmed = text.trim();
  let count = 0;
  const out: string[] = [];
  for (const token of trimmed.split(/(\s+)/)) {
    if (/^\s+$/.test(token) || token === '') { out.push(token); continue; }
    if (count === maxWords) { return out.join('').trimEnd() + ' …'; }
    count++;
    out.push(token);
  }
  return out.join('');
}

/**
 * Texts cut so that together they hold at most `maxChars`: short ones stay whole and the room they
 * leave goes to the long ones (each long one gets the same share), each cut on a word boundary and
 * kept in its line structure. The parent step's input stays the same size however many parts it has.
 */
export function shareBudget(texts: readonly string[], maxChars: number): string[] {
  let room = maxChars;
  let left = texts.length;
  let share = Infinity;
  // Water-filling: shortest first, each takes what it needs up to an even share of what is left.
  for (const len of texts.map((t) => t.length).sort((a, b) => a - b)) {
    const even = Math.floor(room / left);
    if (len > even) { share = even; break; }
    room -= len;
    left--;
  }
  return texts.map((t) => (t.length <= share ? t : cutLines(t, share)));
}

function cutLines(s: string, max: number): string {
  if (max <= 1) return '…';
  const head = s.slice(0, max - 1);
  const space = Math.max(head.lastIndexOf(' '), head.lastIndexOf('\n'));
  return (space > max * 0.6 ? head.slice(0, space) : head).trimEnd() + '…';
}

export function wordCount(text: string): number {
  return text.trim() ? text.trim().split(/\s+/).length : 0;
}

function cut(s: string, max: number): string {
  if (s.length <= max) return s;
  const head = s.slice(0, max - 1);
  const space = head.lastIndexOf(' ');
  return (space > max * 0.6 ? head.slice(0, space) : head) + '…';
}
