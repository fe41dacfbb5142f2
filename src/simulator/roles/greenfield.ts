/**
 * Greenfield's simulated agents (issue 17 items 5 and 8), deterministic and real: the architect
 * designs modules from the task's own words ("a billing service with auth, API and a CLI" →
 * billing, auth, api, cli) and writes architecture.md; the planner gives each module's folder to a
 * builder; the scaffolder writes the skeleton the (possibly edited) architecture describes; each
 * builder fills its module's stubs with working JavaScript and adds a test file of its own.
 * Everything is derived from the request, so a replayed request gets the same answer.
 */
import {
  SIMULATED_LABEL, assistantTurns, promptText, section, stringInput, toolCalls, truncate, withoutLineNumbers,
} from '../conversation';
import type { ParsedRequest, Reply, ReplyBlock } from '../types';
import { plural } from '../../shared/words';

const SENTINEL = '<!-- DONE -->';
const MAX_MODULES = 4;
const say = (text: string): Reply => ({ kind: 'message', content: [{ type: 'text', text: truncate(text, 200) }] });
const use = (name: string, input: Record<string, unknown>): ReplyBlock => ({ type: 'tool_use', name, input });

/** A task that starts something new: the simulated planner's greenfield signal. */
export const isGreenfieldTask = (task: string): boolean => /^\s*(build|create|scaffold|start|make|write)\s+(a|an|the|my|our|new)\b/i.test(task);

interface Fn { name: string; params: string[]; doc: string }
interface Module { name: string; owns: string; purpose: string; fns: Fn[]; dependsOn: string[] }
interface Design { title: string; shared: Array<{ path: string; doc: string }>; modules: Module[] }

const fn = (sig: string, doc: string): Fn => {
  const m = /^(\w+)\(([^)]*)\)/.exec(sig)!;
  return { name: m[1], params: m[2].split(',').map((p) => p.trim()).filter(Boolean), doc };
};

/** What the simulator knows how to design and build well; any other module gets a small generic interface. */
const KNOWN: Record<string, { purpose: string; fns: Fn[]; dependsOn: string[] }> = {
  billing: {
    purpose: 'Invoices: create them from line items, look them up, and mark them paid.',
    fns: [
      fn('createInvoice(customerId, items)', 'an open Invoice whose total is the sum of quantity × unitPrice'),
      fn('getInvoice(id)', 'the Invoice, or null when there is none'),
      fn('payInvoice(id)', 'the Invoice marked paid; throws when it does not exist'),
      fn('listInvoices(customerId)', "the customer's Invoices, oldest first"),
    ],
    dependsOn: [],
  },
  auth: {
    purpose: 'Users and sessions: register, log in, and check a session token.',
    fns: [
      fn('register(username, password)', 'creates a user; throws when the name is taken'),
      fn('login(username, password)', 'a Session token, or null when the password is wrong'),
      fn('verifyToken(token)', 'the username the token belongs to, or null'),
    ],
    dependsOn: [],
  },
  api: {
    purpose: 'The HTTP-shaped entry point: routes a request to auth and billing.',
    fns: [fn('handleRequest(method, path, body, token)', 'a Response {status, body}; 401 without a valid token')],
    dependsOn: ['auth', 'billing'],
  },
  cli: {
    purpose: 'The command line: parses argv and prints what the API answers.',
    fns: [fn('run(argv)', 'the text to print for a command (register, login, invoice, pay, list)')],
    dependsOn: ['api'],
  },
};

/** The modules a task names: the subject before "with", then each part after it. */
export function designFromTask(task: string): Design {
  const t = task.replace(/[."]+$/, '').trim();
  const [head, tail = ''] = t.split(/\bwith\b/i, 2);
  const named = head.replace(/^\s*\w+\s+(a|an|the|my|our|new)\s+/i, '').replace(/\b(small|simple|tiny|new)\b/gi, '').replace(/\s+/g, ' ').trim();
  const subject = named.replace(/\b(service|app|application|tool|system)\b/gi, '').trim();
  const names = [subject.split(/\s+/).pop() ?? '', ...tail.split(/,|\band\b|\+/)]
    .map((s) => s.trim().replace(/^(a|an|the)\s+/i, '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, ''))
    .filter(Boolean);
  const unique = [...new Set(names.length ? names : ['core'])].slice(0, MAX_MODULES);
  const modules = unique.map((name): Module => {
    const known = KNOWN[name];
    const title = name.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase());
    return {
      name, owns: `src/${name}/`,
      purpose: known?.purpose ?? `The ${name} part of ${subject || 'the project'}.`,
      fns: known?.fns ?? [fn(`create${title}(input)`, `a new ${title} record from input`), fn(`get${title}(id)`, `the ${title} record, or null`)],
      dependsOn: (known?.dependsOn ?? []).filter((d) => unique.includes(d)),
    };
  });
  return {
    title: truncate(named || 'the project', 60),
    shared: [{ path: 'package.json', doc: 'the package manifest (ES modules, `npm test` runs node --test)' },
      { path: 'src/types.js', doc: 'the shared types every module builds against (JSDoc typedefs)' }],
    modules,
  };
}

export function renderArchitecture(task: string, d: Design): string {
  return [
    `# Architecture: ${d.title}`, '', SIMULATED_LABEL, '',
    `${task}. Plain JavaScript (ES modules) on Node, no dependencies. ${plural(d.modules.length, 'module')}, each in its own folder under \`src/\`, talk only through the interfaces below; shared types live in \`src/types.js\`.`, '',
    '## Shared', '', ...d.shared.map((s) => `- \`${s.path}\`: ${s.doc}`), '',
    '## Modules', '',
    ...d.modules.flatMap((m) => [
      `### ${m.name}`, '', `Owns: \`${m.owns}\``, `Purpose: ${m.purpose}`, 'Interface:',
      ...m.fns.map((f) => `- \`${f.name}(${f.params.join(', ')})\`: ${f.doc}`),
      `Depends on: ${m.dependsOn.join(', ') || 'none'}`, '',
    ]),
    SENTINEL, '',
  ].join('\n');
}

/** Reads a design back from architecture.md as a prompt carries it (heading levels may be shifted; the user may have edited it). */
export function parseArchitecture(text: string): Design {
  const blocks: Array<{ heading: string; body: string[] }> = [];
  for (const line of text.split('\n')) {
    const h = /^#+\s+(.+?)\s*$/.exec(line);
    if (h) blocks.push({ heading: h[1], body: [] });
    else blocks.at(-1)?.body.push(line);
  }
  const bullets = (body: string[]): Array<{ code: string; doc: string }> =>
    body.flatMap((l) => { const m = /^\s*[-*]\s+`([^`]+)`\s*:?\s*(.*)$/.exec(l); return m ? [{ code: m[1], doc: m[2] }] : []; });
  const shared = blocks.filter((b) => /^shared\b/i.test(b.heading)).flatMap((b) => bullets(b.body).map((x) => ({ path: x.code, doc: x.doc })));
  const modules: Module[] = [];
  for (const b of blocks) {
    const owns = b.body.map((l) => /^Owns:\s*`([^`]+)`/i.exec(l.trim())?.[1]).find(Boolean);
    if (!owns) continue;
    const purpose = b.body.map((l) => /^Purpose:\s*(.*)$/i.exec(l.trim())?.[1]).find(Boolean) ?? '';
    const deps = b.body.map((l) => /^Depends on:\s*(.*)$/i.exec(l.trim())?.[1]).find(Boolean) ?? 'none';
    const fns = bullets(b.body).filter((x) => /^\w+\(/.test(x.code)).map((x) => fn(x.code, x.doc));
    modules.push({ name: b.heading.trim(), owns: owns.endsWith('/') ? owns : `${owns}/`, purpose, fns, dependsOn: deps === 'none' ? [] : deps.split(/,\s*/) });
  }
  const title = /^#+\s+Architecture:\s*(.+)$/m.exec(text)?.[1] ?? 'the project';
  return { title, shared, modules };
}

/** The architect: look at the (nearly empty) workspace once, then write architecture.md from the task. */
export function architectReply(req: ParsedRequest): Reply {
  const calls = toolCalls(req);
  if (calls.some((c) => c.name === 'write_output' && c.result && !c.result.isError)) {
    return say(`Done. Designed ${designFromTask(taskOf(req)).modules.map((m) => m.name).join(', ')} with their interfaces and folders.`);
  }
  if (assistantTurns(req) === 0) return { kind: 'message', content: [use('list_files', { path: '.' })] };
  const task = taskOf(req);
  return { kind: 'message', content: [use('write_output', { content: renderArchitecture(task, designFromTask(task)) })] };
}

const taskOf = (req: ParsedRequest): string => (section(promptText(req), 'Task') ?? section(promptText(req), 'Run task') ?? 'the project').split('\n')[0].trim();

/** The architecture as a prompt carries it: from its section heading to the next run-level section. */
function architectureIn(text: string): string {
  const start = text.indexOf('# The approved architecture');
  if (start < 0) return '';
  const rest = text.slice(start);
  const end = rest.search(/\n# (Your assignment|Validation errors|Files you own)/);
  return end < 0 ? rest : rest.slice(0, end);
}

/** The builder assignment of a greenfield build: one builder per module folder, the shared files to the scaffold. */
export function greenfieldBuildersReply(req: ParsedRequest): Reply | null {
  const d = parseArchitecture(architectureIn(promptText(req)));
  if (d.modules.length === 0) return null;
  const builders = d.modules.slice(0, 8).map((m, i) => ({
    id: `b${i + 1}`, tier: 'sonnet', owns: [m.owns],
    task: truncate(`Implement the ${m.name} module in ${m.owns}: ${m.fns.map((f) => f.name).join(', ')}, exactly as architecture.md states, with a test file of its own.`, 1200),
  }));
  return { kind: 'message', content: [use('plan_builders', { builders, shared: d.shared.map((s) => s.path) })] };
}

const stub = (module: string, f: Fn): string =>
  `/** ${f.doc} */\nexport function ${f.name}(${f.params.join(', ')}) {\n  throw new Error('not implemented: ${module}.${f.name}');\n}\n`;

function sharedFile(p: string, d: Design): string {
  if (/(^|\/)package\.json$/.test(p)) {
    const name = d.title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'project';
    return `${JSON.stringify({ name, version: '0.1.0', private: true, type: 'module', description: 'Simulated scaffold', scripts: { test: 'node --test' } }, null, 2)}\n`;
  }
  if (/\.js$/.test(p)) {
    return [
      '// Simulated scaffold: the types every module builds against (architecture.md).', '',
      '/** @typedef {{ description: string, quantity: number, unitPrice: number }} LineItem */',
      "/** @typedef {{ id: string, customerId: string, items: LineItem[], total: number, status: 'open' | 'paid' }} Invoice */",
      '/** @typedef {{ token: string, username: string }} Session */',
      '/** @typedef {{ status: number, body: unknown }} Response */', '',
      'export {};', '',
    ].join('\n');
  }
  return `Simulated scaffold: ${p}\n`;
}

/** The scaffolder: the shared files and each module's entry file with its interface stubbed, from the architecture in its prompt. */
export function scaffoldReply(req: ParsedRequest): Reply {
  const calls = toolCalls(req);
  const writes = calls.filter((c) => c.name === 'write_file' && c.result);
  if (writes.length) {
    const refused = writes.find((c) => c.result!.isError);
    if (refused) return say(`Failed. ${stringInput(refused, 'path') ?? 'a file'} could not be written: ${refused.result!.text.split('\n')[0]}`);
    return say(`Done. Wrote the skeleton: ${plural(writes.length, 'file')}.`);
  }
  const d = parseArchitecture(architectureIn(promptText(req)));
  const files: ReplyBlock[] = d.shared.map((s) => use('write_file', { path: s.path, content: sharedFile(s.path, d) }));
  for (const m of d.modules) {
    const header = `// Simulated scaffold: the ${m.name} module's public interface (architecture.md). Builders fill in the bodies.\n`;
    files.push(use('write_file', { path: `${m.owns}index.js`, content: `${header}\n${m.fns.map((f) => stub(m.name, f)).join('\n')}` }));
  }
  if (files.length === 0) return say('Failed. The prompt carries no architecture with modules to scaffold.');
  return { kind: 'message', content: files };
}

/** Bodies for the functions the simulator knows; `state` goes above them, once per module. */
const BODIES: Record<string, { state?: string; imports?: string; body: Record<string, string> }> = {
  billing: {
    state: 'const invoices = new Map();\nlet nextId = 1;\n',
    body: {
      createInvoice: "const total = items.reduce((sum, i) => sum + i.quantity * i.unitPrice, 0);\n  const invoice = { id: `inv-${nextId++}`, customerId, items, total, status: 'open' };\n  invoices.set(invoice.id, invoice);\n  return invoice;",
      getInvoice: 'return invoices.get(id) ?? null;',
      payInvoice: "const invoice = invoices.get(id);\n  if (!invoice) throw new Error(`no invoice ${id}`);\n  invoice.status = 'paid';\n  return invoice;",
      listInvoices: 'return [...invoices.values()].filter((i) => i.customerId === customerId);',
    },
  },
  auth: {
    state: "import { createHash, randomBytes } from 'node:crypto';\n\nconst users = new Map();\nconst sessions = new Map();\nconst hash = (password, salt) => createHash('sha256').update(salt + password).digest('hex');\n",
    body: {
      register: "if (users.has(username)) throw new Error(`user ${username} exists`);\n  const salt = randomBytes(8).toString('hex');\n  users.set(username, { salt, hash: hash(password, salt) });",
      login: "const user = users.get(username);\n  if (!user || user.hash !== hash(password, user.salt)) return null;\n  const token = randomBytes(16).toString('hex');\n  sessions.set(token, username);\n  return token;",
      verifyToken: 'return sessions.get(token) ?? null;',
    },
  },
  api: {
    imports: "import { login, register, verifyToken } from '../auth/index.js';\nimport { createInvoice, getInvoice, listInvoices, payInvoice } from '../billing/index.js';\n",
    body: {
      handleRequest: [
        "if (method === 'POST' && path === '/register') { register(body.username, body.password); return { status: 201, body: { ok: true } }; }",
        "  if (method === 'POST' && path === '/login') { const t = login(body.username, body.password); return t ? { status: 200, body: { token: t } } : { status: 401, body: { error: 'bad credentials' } }; }",
        '  const user = verifyToken(token);',
        "  if (!user) return { status: 401, body: { error: 'log in first' } };",
        "  if (method === 'POST' && path === '/invoices') return { status: 201, body: createInvoice(user, body.items) };",
        "  if (method === 'GET' && path === '/invoices') return { status: 200, body: listInvoices(user) };",
        '  const m = /^\\/invoices\\/([\\w-]+)(\\/pay)?$/.exec(path);',
        "  if (m && method === 'POST' && m[2]) return { status: 200, body: payInvoice(m[1]) };",
        "  if (m && method === 'GET') { const inv = getInvoice(m[1]); return inv ? { status: 200, body: inv } : { status: 404, body: { error: 'no such invoice' } }; }",
        "  return { status: 404, body: { error: `no route ${method} ${path}` } };",
      ].join('\n'),
    },
  },
  cli: {
    imports: "import { handleRequest } from '../api/index.js';\n",
    state: 'let session = null;\n',
    body: {
      run: [
        'const [command, ...args] = argv;',
        '  const call = (method, path, body) => handleRequest(method, path, body, session);',
        "  if (command === 'register') return JSON.stringify(call('POST', '/register', { username: args[0], password: args[1] }).body);",
        "  if (command === 'login') { const r = call('POST', '/login', { username: args[0], password: args[1] }); session = r.body.token ?? null; return session ? 'logged in' : 'login failed'; }",
        "  if (command === 'invoice') return JSON.stringify(call('POST', '/invoices', { items: [{ description: args[0] ?? 'item', quantity: 1, unitPrice: Number(args[1] ?? 0) }] }).body);",
        "  if (command === 'pay') return JSON.stringify(call('POST', `/invoices/${args[0]}/pay`).body);",
        "  if (command === 'list') return JSON.stringify(call('GET', '/invoices').body);",
        "  return 'usage: register|login USER PASS · invoice DESCRIPTION AMOUNT · pay ID · list';",
      ].join('\n'),
    },
  },
};

/** Owned folders in a builder's prompt (greenfield builders own "dir/" entries). */
export function ownedFolders(req: ParsedRequest): string[] {
  const block = /Files you own[^\n]*\n((?:- [^\n]+\n?)+)/.exec(promptText(req))?.[1] ?? '';
  return block.split('\n').map((l) => l.replace(/^- /, '').trim()).filter((l) => l.endsWith('/'));
}

/** What a stubbed entry file becomes: each known stub's body filled, any other stub given a plain, working body. */
function implement(module: string, content: string): string {
  const known = BODIES[module];
  let out = content.replace(/^\/\/ Simulated scaffold:[^\n]*\n/, `// The ${module} module (simulated builder), built against architecture.md.\n`);
  out = out.replace(/export function (\w+)\(([^)]*)\) \{\n\s*throw new Error\('not implemented: [^']*'\);\n\}/g, (_, name: string, params: string) => {
    const body = known?.body[name] ?? `return { ${[`operation: '${name}'`, ...params.split(',').map((p) => p.trim()).filter(Boolean)].join(', ')} };`;
    return `export function ${name}(${params}) {\n  ${body}\n}`;
  });
  const top = [known?.imports, known?.state].filter(Boolean).join('\n');
  if (top) out = out.replace(/^(\/\/[^\n]*\n)/, `$1\n${top}`);
  return out;
}

function testFile(module: string, names: string[]): string {
  return [
    `// Simulated builder: a test of the ${module} module's interface.`,
    "import assert from 'node:assert/strict';", "import { test } from 'node:test';", "import * as mod from './index.js';", '',
    `test('${module} exports its interface', () => {`,
    `  for (const name of ${JSON.stringify(names)}) assert.equal(typeof mod[name], 'function', name);`,
    '});', '',
  ].join('\n');
}

/**
 * A greenfield builder: list its folders, read the skeleton's files there, then fill every stub and
 * add a test file beside the entry file (a new file inside the folder it owns).
 */
export function greenfieldBuilderReply(req: ParsedRequest): Reply {
  const folders = ownedFolders(req);
  const calls = toolCalls(req);
  const writes = calls.filter((c) => c.name === 'write_file' && c.result);
  if (writes.length) {
    const refused = writes.find((c) => c.result!.isError);
    if (refused) return say(`Failed. ${stringInput(refused, 'path') ?? 'a file'} could not be written: ${refused.result!.text.split('\n')[0]}`);
    return say(`Done. Implemented ${folders.join(', ')} and added its tests (${plural(writes.length, 'file')}).`);
  }
  if (assistantTurns(req) === 0) return { kind: 'message', content: folders.map((p) => use('list_files', { path: p })) };
  const reads = calls.filter((c) => c.name === 'read_file' && c.result && !c.result.isError);
  if (reads.length === 0) {
    const listed = calls.filter((c) => c.name === 'list_files' && c.result && !c.result.isError)
      .flatMap((c) => [...c.result!.text.matchAll(/([\w./-]+\.js)\b/g)].map((m) => m[1]));
    const files = [...new Set(listed)].map((f) => folders.find((d) => f.startsWith(d)) ? f : `${folders[0]}${f.split('/').pop()}`);
    if (files.length === 0) return say(`Failed. The scaffold left no file in ${folders.join(', ')} to build on.`);
    return { kind: 'message', content: [...new Set(files)].map((p) => use('read_file', { path: p })) };
  }
  const out: ReplyBlock[] = [];
  for (const c of reads) {
    const p = stringInput(c, 'path') ?? '';
    const folder = folders.find((d) => p.startsWith(d)) ?? folders[0];
    const module = folder.replace(/\/$/, '').split('/').pop() ?? 'module';
    const content = withoutLineNumbers(c.result!.text).replace(/\n\[[^\n]*\]\s*$/, '');
    const names = [...content.matchAll(/export function (\w+)\(/g)].map((m) => m[1]);
    out.push(use('write_file', { path: p, content: implement(module, content.endsWith('\n') ? content : `${content}\n`) }));
    if (/index\.js$/.test(p)) out.push(use('write_file', { path: `${folder}${module}.test.js`, content: testFile(module, names) }));
  }
  return { kind: 'message', content: out };
}
