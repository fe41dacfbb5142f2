import { describe, expect, it } from 'vitest';
import { field, roleOf, section, toolCalls, truncate, withoutLineNumbers } from '../../src/simulator/conversation';
import { factsOf, findingsOf, severityOf } from '../../src/simulator/facts';
import { parseOverview } from '../../src/simulator/overview';
import { listedWorkers } from '../../src/simulator/roles/coordinator';
import { taskKind } from '../../src/simulator/roles/planner';
import type { ParsedRequest } from '../../src/simulator/types';

const req = (system: string, messages: ParsedRequest['messages']): ParsedRequest => ({
  model: 'm', maxTokens: 10, stream: false, beta: false, body: {}, system: [{ type: 'text', text: system }], messages, tools: [], toolChoice: null,
});

describe('overview parsing', () => {
  it('reads the engine overview format: header, folder totals, collapsed folders, notes', () => {
    const nodes = parseOverview([
      'Workspace: 40 files, 120 KB',
      'src/ (30 files, 100 KB)',
      '  engine/ (20 files, 80 KB)',
      '    agent.ts 4.1 KB',
      '  vendor/ (9 files, 15 KB) [collapsed]',
      '  cli.ts 3.1 KB',
      'docs/ (empty)',
      'README.md 812 B',
      '[1 folder collapsed to stay within 400 entries]',
    ].join('\n'));
    expect(nodes.map((n) => n.path)).toEqual(['src/', 'docs/', 'README.md']);
    const src = nodes[0];
    expect(src.weight).toBe(30);
    expect(src.children.map((c) => [c.path, c.isDir, c.weight])).toEqual([
      ['src/engine/', true, 20], ['src/vendor/', true, 9], ['src/cli.ts', false, 1],
    ]);
    expect(src.children[0].children[0].path).toBe('src/engine/agent.ts');
  });

  it('keeps full paths at the top of a focused overview and tolerates tree drawing', () => {
    expect(parseOverview('Focus src/engine: 2 files, 4 KB\nsrc/engine/ (2 files, 4 KB)\n  a.ts 1 KB')[0].children[0].path).toBe('src/engine/a.ts');
    const drawn = parseOverview('src/\n├── a.ts\n└── lib/\n    └── b.ts');
    expect(drawn[0].children.map((c) => c.path)).toEqual(['src/a.ts', 'src/lib/']);
    expect(drawn[0].children[1].children[0].path).toBe('src/lib/b.ts');
  });
});

describe('conversation reading', () => {
  it('finds the role, sections and fields of a rendered prompt', () => {
    const r = req('# Role: coordinator\n\nYou coordinate.', [{ role: 'user', content: [{ type: 'text', text: '# Run task\nAudit\n\n# Worker files\n- a.md (a1: completed)\n\nOutput file: s/a.md' }] }]);
    expect(roleOf(r)).toBe('coordinator');
    expect(roleOf(req('You are helpful.', []))).toBeNull();
    const text = (r.messages[0].content[0] as { text: string }).text;
    expect(section(text, 'Run task')).toBe('Audit');
    expect(section(text, 'Worker files')).toBe('- a.md (a1: completed)\n\nOutput file: s/a.md');
    expect(field(text, 'Output file')).toBe('s/a.md');
  });

  it('pairs tool calls with their results across turns', () => {
    const calls = toolCalls(req('# Role: worker', [
      { role: 'user', content: [{ type: 'text', text: 'go' }] },
      { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'read_file', input: { path: 'a' } }, { type: 'tool_use', id: 't2', name: 'list_files', input: {} }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: [{ type: 'text', text: 'body' }] }, { type: 'tool_result', tool_use_id: 't2', content: 'nope', is_error: true }] },
      { role: 'assistant', content: [{ type: 'tool_use', id: 't3', name: 'write_output', input: { content: 'x' } }] },
    ]));
    expect(calls.map((c) => [c.name, c.turn, c.result])).toEqual([
      ['read_file', 0, { text: 'body', isError: false }],
      ['list_files', 0, { text: 'nope', isError: true }],
      ['write_output', 1, null],
    ]);
  });

  it('strips read_file line-number gutters only when most lines have one', () => {
    expect(withoutLineNumbers('   1| a\n   2| b\n[truncated: file has 9 lines]')).toBe('a\nb\n[truncated: file has 9 lines]');
    expect(withoutLineNumbers('plain\n2| odd')).toBe('plain\n2| odd');
  });

  it('reads worker list lines whose status carries a detail with parentheses', () => {
    expect(listedWorkers('# Worker files\n- w/a1.md (a1: completed)\n- w/a2.md (a2: failed — 429 (rate limited))\n- w/a3.md (a3: unfinished)')).toEqual([
      { path: 'w/a1.md', id: 'a1', status: 'completed', detail: null },
      { path: 'w/a2.md', id: 'a2', status: 'failed', detail: '429 (rate limited)' },
      { path: 'w/a3.md', id: 'a3', status: 'unfinished', detail: null },
    ]);
  });
});

describe('planning and facts', () => {
  it('classifies the run task to pick worker angles and tiers', () => {
    expect(taskKind('Audit this repo for security issues')).toBe('security');
    expect(taskKind('Document every module in src/')).toBe('docs');
    expect(taskKind('Review the architecture')).toBe('architecture');
    expect(taskKind('Find every call to fetch')).toBe('search');
    expect(taskKind('Make it better')).toBe('review');
  });

  it('counts lines, markers, functions and exports of a source file', () => {
    const f = factsOf('a.ts', 'export function a() {}\n// TODO: x\nconst b = (x: number) => x;\nexport class C {\n  async run(): Promise<void> {\n  }\n}\n');
    expect(f).toMatchObject({ lines: 7, markers: [2], functions: 3, exports: 2 });
    expect(findingsOf(f)).toEqual(['`a.ts`: 1 TODO/FIXME marker (line 2)', '`a.ts`: 3 function-like declarations, 2 exports']);
  });

  it('spots risky patterns and names them so they rank as security findings', () => {
    const f = factsOf('x.js', [
      "db.query(`SELECT * FROM t WHERE id = ${id}`);",
      "crypto.createHash('md5').update(p);",
      "const SECRET = process.env.S || 'dev-secret';",
      'return sign(id) === `${id}.${mac}`;',
      'const n = 1 + 2;',
    ].join('\n'));
    expect(f.risks.map((r) => r.line)).toEqual([1, 2, 3, 4]);
    expect(findingsOf(f)[0]).toBe('`x.js` line 1: query built from interpolated values (possible SQL injection)');
  });
});

describe('simulated text', () => {
  it('cuts on a word boundary, never mid-word', () => {
    const task = 'Security-audit src/auth/session.js (run task: Audit this repo for security issues)';
    expect(truncate(task, 60)).toBe('Security-audit src/auth/session.js (run task: Audit this…');
    expect(truncate(task, 200)).toBe(task);
    expect(truncate('a-very-long-single-word-without-spaces', 10)).toBe('a-very-lo…');
  });

  it('ranks what a worker found by severity: secrets and injection, then weaknesses, then markers, then sizes', () => {
    expect(severityOf('`s.js` line 2: hard-coded secret or credential default')).toBe('critical');
    expect(severityOf('`o.js` line 6: query built from interpolated values (possible SQL injection)')).toBe('critical');
    expect(severityOf('`s.js` line 12: secret compared with ===, timing-unsafe')).toBe('high');
    expect(severityOf('`m.js`: 1 TODO/FIXME marker (line 1)')).toBe('medium');
    expect(severityOf('`f.js`: 2 function-like declarations, 1 export')).toBe('low');
  });
});
