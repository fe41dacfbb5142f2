/** The tests that read the product's own source (the pattern boundary, the Sync names) list it the same way. */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Every `.ts` file below `dir` (declaration files left out). */
export function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}
