/**
 * Synchronous I/O stays behind *Sync names: a function that blocks the extension host on the
 * disk says so in its name, so nobody awaits it believing it yields. The check reads the source
 * with the TypeScript parser: every call of a Node synchronous API (fs, child_process) must sit,
 * at its nearest named enclosing function, in one whose name says Sync (or at a module's top level,
 * which runs once at load).
 */
import * as childProcess from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { sourceFiles } from './sourceFiles';

const ROOT = path.resolve(__dirname, '../..');
const SYNC_APIS = new Set([...Object.keys(fs), ...Object.keys(childProcess)].filter((k) => /^[a-z]\w*Sync$/.test(k)));

/** The name of the nearest named function around `node`, or null at a module's top level. */
function enclosingName(node: ts.Node): string | null {
  for (let n: ts.Node | undefined = node.parent; n; n = n.parent) {
    if (ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n) || ts.isGetAccessorDeclaration(n)) {
      if (n.name) return n.name.getText();
    }
    if (ts.isConstructorDeclaration(n)) return 'constructor';
    if ((ts.isArrowFunction(n) || ts.isFunctionExpression(n))) {
      const p = n.parent;
      if (ts.isVariableDeclaration(p) || ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p)) return p.name.getText();
    }
  }
  return null;
}

/** `file:line  function ← call` for every synchronous call outside a *Sync-named function. */
export function syncCallsOutsideSyncNames(files: readonly string[]): string[] {
  const out: string[] = [];
  for (const file of files) {
    const src = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node)) {
        const callee = node.expression;
        const name = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : null;
        if (name && SYNC_APIS.has(name)) {
          const owner = enclosingName(node);
          if (owner !== null && !/Sync/.test(owner)) {
            const { line } = src.getLineAndCharacterOfPosition(node.getStart());
            out.push(`${path.relative(ROOT, file)}:${line + 1}  ${owner} ← ${name}`);
          }
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(src);
  }
  return out;
}

describe('synchronous I/O', () => {
  it('is called only from functions named *Sync (or at load)', () => {
    expect(syncCallsOutsideSyncNames(sourceFiles(path.join(ROOT, 'src')))).toEqual([]);
  });

  it('the check finds a sync call in an async-named function, and accepts one behind a Sync name', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sync-names-'));
    const file = path.join(dir, 'x.ts');
    fs.writeFileSync(file, [
      "import * as fs from 'node:fs';",
      'export async function readTextOrNull(p: string) { return fs.readFileSync(p, "utf8"); }',
      'export function readTextSync(p: string) { return [p].map((q) => fs.readFileSync(q, "utf8")); }',
      'const top = fs.existsSync("/");',
      'export const handlers = { edit: (p: string) => fs.writeFileSync(p, ""), editSync: (p: string) => fs.writeFileSync(p, "") };',
    ].join('\n'));
    try {
      expect(syncCallsOutsideSyncNames([file]).map((l) => l.replace(/^.*x\.ts/, 'x.ts'))).toEqual([
        'x.ts:2  readTextOrNull ← readFileSync',
        'x.ts:5  edit ← writeFileSync',
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
