/**
 * A view asks, it never switches (STYLE, issue 18 §4): what the tree, the Summary, the dashboard,
 * the plan editor, the agent commands and the CLI report show about a pattern comes from the
 * pattern's own declaration, so a seventh pattern (or a workflow) gets every view without a view
 * learning its name. The check reads src/ and webview/ with the TypeScript parser and fails, with
 * file:line, on any string literal equal to a pattern's name or to a role a pattern declares,
 * outside the patterns' own folders, the simulator (which plays every pattern's model) and
 * src/engine/types.ts, which names one pattern once: DEFAULT_PATTERN, the pattern of ledgers and
 * plans written before patterns existed (a file-contract fact the layers below the registry read).
 * Pattern and role names are plain strings there (PatternName, AgentRole): the registry is their
 * list, so a new pattern is its folder and one line in patterns/registry.ts.
 *
 * Only whole literals count: "build" is a pattern, but "Build the project" and a comment that
 * says build are not.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { sourceFiles } from './sourceFiles';
import { PATTERNS } from '../../src/engine/patterns/registry';

const ROOT = path.resolve(__dirname, '../..');

/** Where pattern and role names belong: the patterns themselves, the simulator, DEFAULT_PATTERN. */
const ALLOWED = [/^src\/engine\/patterns\//, /^src\/simulator\//, /^src\/engine\/types\.ts$/];

/** Every pattern name and every role any pattern declares, from the registry. */
export function patternVocabulary(): Set<string> {
  return new Set(PATTERNS.flatMap((p) => [p.name, ...Object.keys(p.roles)]));
}

/** `file:line  'name'` for every string literal in `files` that is exactly one of `names`. */
export function namedLiterals(files: readonly string[], names: ReadonlySet<string>, root = ROOT): string[] {
  const out: string[] = [];
  for (const file of files) {
    const src = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      if ((ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) && names.has(node.text)
        && !(node.parent && (ts.isImportDeclaration(node.parent) || ts.isExportDeclaration(node.parent)))) {
        const { line } = src.getLineAndCharacterOfPosition(node.getStart());
        out.push(`${path.relative(root, file).split(path.sep).join('/')}:${line + 1}  '${node.text}'`);
      }
      ts.forEachChild(node, visit);
    };
    visit(src);
  }
  return out;
}

function violations(): string[] {
  const files = [...sourceFiles(path.join(ROOT, 'src')), ...sourceFiles(path.join(ROOT, 'webview'))]
    .filter((f) => !ALLOWED.some((re) => re.test(path.relative(ROOT, f).split(path.sep).join('/'))));
  return namedLiterals(files, patternVocabulary());
}

describe('the pattern boundary', () => {
  it('no view, command or front end names a pattern or a role outside the patterns', () => {
    expect(violations(), 'ask the pattern\'s declaration (Pattern.view, its roles) instead of naming it').toEqual([]);
  });

  it('every role a pattern\'s view declaration names is one of its roles (names are strings, so a typo is caught here)', () => {
    for (const p of PATTERNS) {
      const v = p.view;
      const card = v.card;
      const named = [
        v.groupSummary, ...(v.synthesisRoles ?? []), ...(v.changeSteps ? Object.values(v.changeSteps) as string[] : []),
        card?.kind === 'handoffs' || card?.kind === 'verdicts' ? card.role : undefined,
        card?.kind === 'progress' ? card.leaf : undefined,
        ...(card?.kind === 'rounds' ? [card.round, card.spawned] : []),
      ].filter((r): r is string => r !== undefined);
      for (const r of named) expect(Object.keys(p.roles), `${p.name} names the role ${r}`).toContain(r);
    }
  });

  it('takes its names from the registry, the workflow pattern and its roles included', () => {
    const names = patternVocabulary();
    for (const n of ['fan-out', 'build', 'workflow', 'coordinator', 'builder', 'auditor']) expect(names.has(n)).toBe(true);
  });

  it('flags a whole literal and nothing else: not a sentence, a comment, an import or an identifier', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pattern-boundary-'));
    const file = path.join(dir, 'x.ts');
    fs.writeFileSync(file, [
      "import { build } from './build';",
      "// switch on 'panel' here? never",
      "const a = p === 'panel' ? 'Build the project' : `${build}`;",
      'const b = { build: 1, \'map-reduce\': 2 };',
      'const c = `stage`;',
    ].join('\n'));
    try {
      expect(namedLiterals([file], new Set(['panel', 'build', 'map-reduce', 'stage']), dir)).toEqual([
        "x.ts:3  'panel'",
        "x.ts:4  'map-reduce'",
        "x.ts:5  'stage'",
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
