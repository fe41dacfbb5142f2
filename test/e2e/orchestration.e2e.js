// End to end in a real VS Code (code-server) driven by playwright-core + Debian Chromium, with the
// packaged .vsix installed and `orchestration.provider: "simulated"`. Run through run-e2e.sh, which
// sets CS_URL, WORKSPACE, SHOTS and PLAYWRIGHT_CORE. Steps depend on each other and
// run in order; each one leaves a screenshot in SHOTS.
const { test, before, after } = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { chromium } = require(process.env.PLAYWRIGHT_CORE || 'playwright-core');

const CS_URL = process.env.CS_URL || 'http://127.0.0.1:8766';
const WORKSPACE = process.env.WORKSPACE;
const SHOTS = process.env.SHOTS || 'shots';
const RUNS = path.join(WORKSPACE, '.orchestration');
fs.mkdirSync(SHOTS, { recursive: true });

let browser, page;
const cspViolations = [];
const t0 = Date.now();
const stamp = (msg) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`);
const shot = (name) => page.screenshot({ path: path.join(SHOTS, name) });
const ledger = () => page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Ledger' }) });
const rowByLabel = (label) => ledger().locator('.monaco-list-row', { has: page.locator('.label-name', { hasText: typeof label === 'string' ? new RegExp(`^${label}$`) : label }) }).first();

async function until(what, fn, timeout = 60000) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    try { last = await fn(); if (last) return last; } catch (e) { last = e; }
    await page.waitForTimeout(250);
  }
  throw new Error(`timed out waiting for ${what} (last: ${last})`);
}

/** Opens the palette, runs a command by its full title; resolves once the palette row was accepted. */
async function runCommand(title) {
  const input = page.locator('.quick-input-widget .quick-input-box input');
  // F1 pressed while an earlier quick input is still closing (or a modal is) can open a palette
  // that closes again at once, or one that is inert for a moment: open it again until typing lands.
  await until(`palette with "${title}"`, async () => {
    if (!(await input.isVisible())) await page.keyboard.press('F1');
    await input.waitFor({ state: 'visible', timeout: 5000 });
    await input.fill('>' + title, { timeout: 5000 });
    return true;
  }, 45000);
  // The row whose label is exactly the title: "Orchestrate Task" must not run "Orchestrate Task on
  // Folder", which also matches and may sit above it as recently used.
  const exact = new RegExp(`^${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  const row = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { has: page.locator('.label-name', { hasText: exact }) }).first();
  await row.waitFor();
  await row.click();
}

/** The inner frame of a webview (outer iframe.webview > iframe#active-frame titled like the view). */
async function webviewFrame(title, timeout = 30000) {
  return until(`webview ${title}`, async () => {
    const outers = page.locator('iframe.webview.ready');
    for (let i = 0; i < await outers.count(); i++) {
      const inner = outers.nth(i).contentFrame().locator(`iframe#active-frame[title="${title}"]`);
      if (await inner.count()) return inner.contentFrame();
    }
    return null;
  }, timeout);
}

/** Top-level rows of the Ledger (runs), newest first: [{label, description}]. */
async function runRows() {
  const rows = ledger().locator('.monaco-list-row[aria-level="1"]');
  const out = [];
  for (let i = 0; i < await rows.count(); i++) {
    out.push({ label: await rows.nth(i).locator('.label-name').textContent(), description: await rows.nth(i).locator('.label-description').textContent().catch(() => '') });
  }
  return out;
}

/** Rows matching `selector` in the Ledger: label, description and icon classes. */
async function treeRows(selector) {
  return ledger().locator(selector).evaluateAll((els) => els.map((e) => ({
    label: e.querySelector('.label-name')?.textContent ?? '',
    description: e.querySelector('.label-description')?.textContent ?? '',
    icon: e.querySelector('.custom-view-tree-node-item-icon')?.className ?? '',
  })));
}

/** Shows the Orchestration container; clicking its icon while it is shown would hide the sidebar. */
async function showOrchestration() {
  if (!(await ledger().isVisible())) await page.locator('.activitybar a[aria-label="Orchestration"]').click();
  await ledger().waitFor();
}

/** Every file link in the Summary webview names a file that exists in the run's folder. */
async function assertLinksExist(frame, runId) {
  const files = await frame.locator('[data-file]').evaluateAll((els) => els.map((e) => e.dataset.file));
  const missing = files.filter((f) => !fs.existsSync(path.join(RUNS, runId, f)));
  assert.deepStrictEqual(missing, [], 'the Summary view links only to files that exist');
  return files.length;
}

async function expand(row) {
  if (await row.getAttribute('aria-expanded') === 'false') await row.click();
  await until('row expanded', async () => (await row.getAttribute('aria-expanded')) === 'true', 10000);
}

const toasts = () => page.locator('.notifications-toasts .notification-toast');

async function assertNoToasts(where) {
  const texts = await toasts().allInnerTexts();
  assert.deepStrictEqual(texts, [], `no toast over the screen ${where}`);
}

/**
 * A run's end is told once: exactly one toast names the run (never a stack of them). The user
 * reads it and closes it, so the screenshots that follow show what is under it.
 */
async function dismissRunEnd(task, status) {
  const head = task.slice(0, 25).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const mine = toasts().filter({ hasText: new RegExp(`Run "${head}[^"]*" ${status}`) });
  await mine.first().waitFor({ timeout: 30000 });
  assert.strictEqual(await mine.count(), 1, `one notice for the end of "${task}": ${JSON.stringify(await toasts().allInnerTexts())}`);
  await until('toasts cleared', async () => {
    if ((await toasts().count()) === 0) return true;
    await runCommand('Notifications: Clear All Notifications');
    return (await toasts().count()) === 0;
  }, 20000);
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
}

/** Drags the sidebar's edge until the sidebar is `width` px wide (±4). */
async function setSidebarWidth(width) {
  return until(`sidebar ${width} px`, async () => {
    const box = await page.locator('.part.sidebar').boundingBox();
    if (Math.abs(box.width - width) <= 4) {
      // Off the sash, so the screenshot shows no drag handle.
      await page.mouse.move(box.x + width + 300, box.y + box.height / 2);
      return Math.round(box.width);
    }
    const y = box.y + box.height / 2;
    await page.mouse.move(box.x + box.width, y);
    await page.mouse.down();
    await page.mouse.move(box.x + width, y, { steps: 10 });
    await page.mouse.up();
    return null;
  }, 20000);
}

/**
 * For each row matching `selector`: its text, and whether the part of it up to the end of
 * `mustShow` (a regex over "label description") is drawn inside the row, not under its ellipsis.
 */
async function rowsShowing(selector, mustShow) {
  return ledger().locator(selector).evaluateAll((els, src) => els.map((row) => {
    const box = row.querySelector('.monaco-icon-label-container') ?? row.querySelector('.monaco-icon-label');
    const name = row.querySelector('.label-name');
    const desc = row.querySelector('.label-description');
    const label = name?.textContent ?? '';
    const description = desc?.textContent ?? '';
    const m = new RegExp(src).exec(`${label} ${description}`);
    if (!m || !box) return { label, description, shown: false, why: 'no match' };
    // Where the must-show part ends: in the label, or so many characters into the description.
    const end = m[0].length;
    const [node, offset] = end <= label.length ? [name, end] : [desc, end - label.length - 1];
    // The text may sit in nested spans, split in several text nodes: find the one holding `offset`.
    const walker = document.createTreeWalker(node, NodeFilter.SHOW_TEXT);
    let text = walker.nextNode();
    let left = offset;
    while (text && left > text.textContent.length) { left -= text.textContent.length; const next = walker.nextNode(); if (!next) break; text = next; }
    if (!text) return { label, description, shown: false, why: 'no text' };
    const range = document.createRange();
    range.setStart(text, 0);
    range.setEnd(text, Math.min(left, text.textContent.length));
    const right = range.getBoundingClientRect().right;
    const edge = box.getBoundingClientRect().right;
    // An ellipsis takes about this much of the row's end.
    return { label, description, shown: right <= edge - 10, right: Math.round(right), edge: Math.round(edge) };
  }), mustShow.source);
}

const newestRun = () => (fs.existsSync(RUNS) ? fs.readdirSync(RUNS) : []).filter((n) => /^\d{8}-\d{6}-[0-9a-f]{4}$/.test(n)).sort().pop();
const readLedger = (id) => JSON.parse(fs.readFileSync(path.join(RUNS, id, 'ledger.json'), 'utf8'));

/** The labels of the quick pick's rows (a row with a detail line has a second `.label-name`). */
const pickLabels = () => page.locator('.quick-input-widget .quick-input-list .monaco-list-row')
  .evaluateAll((els) => els.map((e) => e.querySelector('.label-name')?.textContent ?? ''));

/**
 * Answers the pattern quick pick that follows the task: types the pattern's label and accepts its
 * row. Returns the labels the pick offered, in order (null when `label` was not among them: the
 * pick is dismissed).
 */
async function choosePattern(label) {
  const box = page.locator('.quick-input-widget .quick-input-box input');
  await until('pattern quick pick', async () => (await box.getAttribute('placeholder'))?.includes('Auto lets the planner choose'));
  const rows = page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
  await rows.first().waitFor();
  const offered = await pickLabels();
  if (!offered.some((o) => o.startsWith(label))) {
    await page.keyboard.press('Escape');
    await box.waitFor({ state: 'hidden' });
    return null;
  }
  await box.fill(label);
  await until(`pattern row ${label}`, async () => (await pickLabels())[0]?.startsWith(label));
  await page.keyboard.press('Enter');
  await box.waitFor({ state: 'hidden' });
  return offered;
}

async function orchestrate(task, pattern = 'Auto (recommended)') {
  await runCommand('Orchestration: Orchestrate Task');
  const box = page.locator('.quick-input-widget .quick-input-box input');
  await until('task input box', async () => (await box.getAttribute('placeholder'))?.includes('Audit this repo'));
  await box.fill(task);
  await page.keyboard.press('Enter');
  return choosePattern(pattern);
}

/**
 * Sets the simulated latency (a workspace setting, because code-server does not notice edits to
 * the user settings file made behind its back) and starts an approved run that is still running.
 * VS Code picks the setting change up asynchronously: a run that already finished means it had
 * not yet, so try again.
 */
async function startSlowRun(task, latencyMs) {
  fs.mkdirSync(path.join(WORKSPACE, '.vscode'), { recursive: true });
  fs.writeFileSync(path.join(WORKSPACE, '.vscode', 'settings.json'), JSON.stringify({ 'orchestration.simulatedLatencyMs': latencyMs }, null, 2));
  for (let attempt = 1; attempt <= 4; attempt++) {
    await page.waitForTimeout(2000);
    const before = newestRun();
    await orchestrate(task);
    const frame = await webviewFrame('Summary');
    await until('plan', async () => newestRun() !== before && (await frame.locator('#approve').count()) > 0, 60000);
    const runId = newestRun();
    await frame.locator('#approve').click();
    const state = await until('run running or finished', async () => {
      const d = (await runRows())[0]?.description ?? '';
      return d.startsWith('running') ? 'running' : /^(completed|partial|failed)/.test(d) ? 'finished' : null;
    });
    if (state === 'running') return { runId, frame };
    stamp(`attempt ${attempt}: ${runId} finished before the latency setting applied; again`);
  }
  throw new Error(`orchestration.simulatedLatencyMs = ${latencyMs} never took effect`);
}

before(async () => {
  fs.rmSync(RUNS, { recursive: true, force: true });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  page.setDefaultTimeout(30000);
  page.on('pageerror', (e) => console.log('[pageerror]', e.message));
  page.on('console', (m) => {
    if (/Content Security Policy/.test(m.text()) && /vscode-resource|(webview|agent|dashboard|plan)\.js/.test(m.location().url)) cspViolations.push(`${m.location().url}:${m.location().lineNumber} ${m.text()}`);
  });
  await page.goto(`${CS_URL}/?folder=${encodeURIComponent(WORKSPACE)}`);
  // A first load on a busy machine (other builds running) has taken more than the default 30 s.
  await page.locator('.monaco-workbench .activitybar a[aria-label="Orchestration"]').waitFor({ timeout: 120000 });
  await page.locator('.monaco-workbench .statusbar').waitFor();
  stamp('workbench ready');
});

after(async () => { if (browser) await browser.close(); stamp('done'); });

test('the Orchestration container shows an empty Ledger and the Summary view', async () => {
  await page.locator('.activitybar a[aria-label="Orchestration"]').click();
  await ledger().locator('.welcome-view-content', { hasText: 'No runs yet' }).waitFor();
  const frame = await webviewFrame('Summary');
  await frame.locator('.empty', { hasText: 'No run to show yet' }).waitFor();
  await shot('01-empty-ledger-and-summary.png');
});

test('Orchestrate Task refuses an empty task in place, then plans the typed one', async () => {
  await runCommand('Orchestration: Orchestrate Task');
  const box = page.locator('.quick-input-widget .quick-input-box input');
  await until('task input box', async () => (await box.getAttribute('placeholder'))?.includes('Audit this repo'));
  await box.fill('   ');
  await page.locator('.quick-input-widget .quick-input-message', { hasText: 'cannot be empty' }).waitFor();
  await page.keyboard.press('Enter');
  assert.ok(await box.isVisible(), 'an empty task must not close the input box');
  await shot('02-empty-task-refused.png');
  await box.fill('Audit this repo for security issues');
  await page.keyboard.press('Enter');
  // The pattern pick follows the task: Auto first, then every pattern with when to use it.
  const pick = page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
  await until('pattern quick pick', async () => (await box.getAttribute('placeholder'))?.includes('Auto lets the planner choose'));
  await pick.first().waitFor();
  const offered = await pickLabels();
  assert.strictEqual(offered[0], 'Auto (recommended)');
  assert.ok(offered.includes('Pipeline') && offered.includes('Fan-out'), `the pick offers the patterns: ${JSON.stringify(offered)}`);
  await shot('02b-pattern-quick-pick.png');
  assert.deepStrictEqual(await choosePattern('Auto (recommended)'), offered);
  stamp(`task submitted; pattern pick offered ${offered.join(', ')}`);
});

test('the plan appears in the Summary view as a table with an estimate, and Approve runs it', async () => {
  const frame = await webviewFrame('Summary');
  await frame.locator('#plan-table').waitFor();
  await frame.locator('#approve').waitFor();
  const estimate = await frame.locator('#estimate').innerText();
  // A simulated run spends nothing: the range is what a real run would cost, and says so.
  assert.match(estimate, /^Estimate: .+ tokens, \$[\d.]+–\$[\d.]+ if run for real$/);
  assert.match(await frame.locator('.simulated-note').innerText(), /nothing is spent/);
  const runId = newestRun();
  const planned = JSON.parse(fs.readFileSync(path.join(RUNS, runId, 'plan.json'), 'utf8'));
  const workers = planned.domains.reduce((n, d) => n + d.workers.length, 0);
  const rows = await frame.locator('#plan-table vscode-data-grid-row:not([row-type="header"])').count();
  assert.strictEqual(rows, workers + planned.domains.length + 1, 'one row per worker, coordinator and the final synthesis');
  assert.strictEqual(readLedger(runId).status, 'awaiting-approval');
  stamp(`plan ${runId}: ${planned.domains.length} domains, ${workers} workers; ${estimate}`);
  await shot('03-plan-awaiting-approval.png');
  await frame.locator('#approve').click();
});

test('the Ledger tree shows every agent completed', async () => {
  const runId = newestRun();
  await until('run completed on disk', () => readLedger(runId).status === 'completed', 120000);
  const [first] = await until('run row completed', async () => {
    const rows = await runRows();
    return rows[0]?.description.startsWith('completed') ? rows : null;
  });
  // The label is when the run started; status and cost lead the description, the task comes last.
  assert.match(first.label, /^\d\d:\d\d:\d\d$/);
  assert.match(first.description, /^completed · ≈\$[\d.]+ · \d+ s · simulated · Audit this repo for security issues$/);
  const { agents } = readLedger(runId);
  const planned = JSON.parse(fs.readFileSync(path.join(RUNS, runId, 'plan.json'), 'utf8'));
  await expand(ledger().locator('.monaco-list-row[aria-level="1"]').first());
  // The list is virtualised, so check one domain at a time: expand, read its agents, collapse.
  let seen = 0;
  for (const d of planned.domains) {
    const row = ledger().locator('.monaco-list-row[aria-level="2"]', { has: page.locator('.label-name', { hasText: `${d.id.toUpperCase()} · ` }) }).first();
    await expand(row);
    const expected = d.workers.length + 1;
    assert.strictEqual(await row.locator('.label-description').textContent(), `${expected}/${expected}`);
    const children = await until(`domain ${d.id} agents`, async () => {
      const rows = await treeRows('.monaco-list-row[aria-level="3"]');
      return rows.length === expected ? rows : null;
    });
    for (const c of children) assert.match(c.icon, /codicon-pass/, `${c.label} shows completed`);
    seen += children.length;
    await row.click();
    await until(`domain ${d.id} collapsed`, async () => (await row.getAttribute('aria-expanded')) === 'false');
  }
  const final = (await treeRows('.monaco-list-row[aria-level="2"]')).find((r) => r.label === 'final');
  assert.match(final.description, /^done · ≈\$[\d.]+ · .* · Final summary$/);
  assert.match(final.icon, /codicon-pass/);
  // The planner's record is shown on the Plan node, not as a row.
  assert.strictEqual(seen + 1, agents.filter((a) => a.role !== 'planner').length, 'every agent in the ledger was shown');
  await expand(ledger().locator('.monaco-list-row[aria-level="2"]', { has: page.locator('.label-name', { hasText: 'A · ' }) }).first());
  stamp(`tree: ${agents.length} agents completed`);
  await dismissRunEnd('Audit this repo for security issues', 'completed');
  await shot('04-ledger-all-completed.png');
});

test('the Ledger at the default 260 px sidebar shows every agent\'s status and cost', async () => {
  const width = await setSidebarWidth(260);
  const runRow = ledger().locator('.monaco-list-row[aria-level="1"]').first();
  await expand(runRow);
  const domainA = ledger().locator('.monaco-list-row[aria-level="2"]', { has: page.locator('.label-name', { hasText: 'A · ' }) }).first();
  await expand(domainA);
  // A worker's row: "a1 done · ≈$0.004 …"; a coordinator's: "coord-a done · ≈$0.01 …".
  const agents = await until('agent rows', async () => {
    const r = await rowsShowing('.monaco-list-row[aria-level="3"]', /^\S+ (done|failed|cancelled|running|queued|pending|skipped|retrying|verifying|cut off) · ≈?\$[\d.]+/);
    return r.length >= 2 ? r : null;
  });
  const runs = await rowsShowing('.monaco-list-row[aria-level="1"]', /^\S+ (completed|partial|failed|cancelled|running|planning|interrupted|declined|awaiting approval)/);
  const groups = await rowsShowing('.monaco-list-row[aria-level="2"]', /^(Plan|final done · ≈\$[\d.]+|[A-Z] · \S+)/);
  stamp(`sidebar ${width} px; agents: ${agents.map((r) => `${r.label} [${r.description.slice(0, 30)}…] ${r.right}/${r.edge}`).join(' | ')}`);
  await assertNoToasts('over the Ledger');
  await shot('04b-ledger-260px-status-and-cost.png');
  for (const r of agents) assert.ok(r.shown, `agent row "${r.label} ${r.description}" shows its id, status and cost at ${width} px (${r.right} > ${r.edge}: ${r.why ?? 'cut'})`);
  for (const r of runs) assert.ok(r.shown, `run row "${r.label} ${r.description}" shows its start and status at ${width} px`);
  for (const r of groups) assert.ok(r.shown, `row "${r.label}" shows its name at ${width} px`);
});

test('clicking a worker opens its output file in an editor', async () => {
  const runId = newestRun();
  const domainA = ledger().locator('.monaco-list-row[aria-level="2"]', { has: page.locator('.label-name', { hasText: 'A · ' }) }).first();
  await expand(domainA);
  const desc = await rowByLabel('a1').locator('.label-description').textContent();
  assert.match(desc, /^done · ≈\$[\d.]+ · (haiku|sonnet|opus) · [\d.]+k? tok · \d+ s · \S/);
  await rowByLabel('a1').click();
  await page.locator('.tabs-container .tab', { hasText: 'a1.md' }).waitFor();
  const onDisk = fs.readFileSync(path.join(RUNS, runId, 'workers', 'a1.md'), 'utf8');
  const firstLine = onDisk.split('\n').find((l) => l.trim());
  const editor = page.locator('.editor-group-container.active .monaco-editor .view-lines');
  await until('editor text', async () => (await editor.innerText()).replace(/\u00a0/g, ' ').includes(firstLine.trim()));
  stamp(`editor shows a1.md (${desc}): ${firstLine}`);
  await shot('05-worker-output-in-editor.png');
});

test('the Summary view shows domain cards, the final summary and the totals', async () => {
  const runId = newestRun();
  const frame = await webviewFrame('Summary');
  await until('webview completed', async () => (await frame.locator('#run-status').textContent()) === 'completed');
  const summary = fs.readFileSync(path.join(RUNS, runId, 'summary.md'), 'utf8');
  const heading = summary.split('\n').find((l) => /^#+ /.test(l)).replace(/^#+ /, '').trim();
  const finalText = await frame.locator('#final-summary').innerText();
  assert.ok(finalText.includes(heading.replace(/[*_`]/g, '')), `final summary shows "${heading}"`);
  assert.ok(!finalText.includes('<!--'), 'the sentinel comment is not rendered');
  const cards = await frame.locator('article.card').count();
  assert.strictEqual(cards, JSON.parse(fs.readFileSync(path.join(RUNS, runId, 'plan.json'), 'utf8')).domains.length);
  const totals = await frame.locator('#totals').innerText();
  assert.match(totals, /Parent context[\s\S]*tokens vs [\d.]+k? in a flat fan-out/);
  assert.match(totals, /Would cost\s+\$[\d.]+ .*simulated, nothing was spent/);
  assert.doesNotMatch(totals, /would cost\s+would cost/i, 'the label says "would cost" once');
  assert.doesNotMatch(totals, /^Cost\b/m, 'a simulated run shows no money as spent');
  await assertLinksExist(frame, runId);
  await frame.locator('#final-summary').scrollIntoViewIfNeeded();
  stamp(`webview final summary: ${heading}`);
  await shot('06-summary-final-and-totals.png');
});

test('Orchestrate Task on Folder: the Explorer offers it on a folder, the palette asks which folder, and the plan stays inside it', async () => {
  const before = newestRun();
  await page.keyboard.press('Control+Shift+E');
  const folder = page.locator('.explorer-folders-view .monaco-list-row', { has: page.locator('.label-name', { hasText: /^src$/ }) }).first();
  await folder.waitFor();
  // The Explorer's menu on a folder offers it. (Running it from there is VS Code's click on its own
  // menu: in this code-server a click on a context-menu item is sometimes lost under load, so the
  // step runs the same command from the palette, which asks for the folder.)
  const item = page.locator('.context-view .monaco-menu .action-label', { hasText: 'Orchestrate Task on Folder' });
  await until('the Explorer menu offers Orchestrate Task on Folder', async () => {
    await page.keyboard.press('Escape');
    await folder.click({ button: 'right' });
    await item.waitFor({ timeout: 8000 });
    return true;
  }, 60000);
  await page.keyboard.press('Escape');
  const box = page.locator('.quick-input-widget .quick-input-box input');
  await runCommand('Orchestration: Orchestrate Task on Folder');
  await until('folder pick', async () => (await box.getAttribute('placeholder'))?.includes('Which folder?'), 30000);
  await box.fill('src');
  await until('src first', async () => (await pickLabels())[0] === 'src', 15000);
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget', { hasText: 'Orchestrate Task on src' }).waitFor({ timeout: 30000 });
  await box.fill('Document every module');
  await page.keyboard.press('Enter');
  await choosePattern('Fan-out');
  const frame = await webviewFrame('Summary');
  await until('focused plan', async () => newestRun() !== before && (await frame.locator('#decline').count()) > 0, 60000);
  const runId = newestRun();
  const planned = JSON.parse(fs.readFileSync(path.join(RUNS, runId, 'plan.json'), 'utf8'));
  await shot('07-folder-plan-awaiting-approval.png');
  // Declined here, so the next step can check what a declined plan looks like.
  await frame.locator('#decline').click();
  await until('run declined on disk', () => readLedger(runId).status === 'declined', 30000);
  const scopes = planned.domains.flatMap((d) => d.workers.flatMap((w) => w.scope.map((s) => `${w.id}: ${s}`)));
  const outside = scopes.filter((s) => !/^[a-z]\d+: src(\/|$)/.test(s));
  stamp(`folder plan ${runId}: ${scopes.length} scopes, ${outside.length} outside src/`);
  assert.deepStrictEqual(outside, [], `every worker scope of a plan on src/ is inside src/ (${outside.length} of ${scopes.length} are not)`);
});

test('a declined plan shows as declined, offers no Resume, and links to no missing file', async () => {
  const runId = newestRun();
  const l = readLedger(runId);
  assert.strictEqual(l.status, 'declined');
  assert.ok(l.agents.every((a) => a.role === 'planner' || a.status === 'pending'), 'nothing but the planner ran');
  await showOrchestration();
  await until('run row declined', async () => (await runRows())[0]?.description.startsWith('declined'));
  const row = ledger().locator('.monaco-list-row[aria-level="1"]').first();
  await row.hover();
  assert.strictEqual(await row.locator('.action-label[aria-label="Resume Run"]').count(), 0, 'no inline Resume');
  await row.click({ button: 'right' });
  const menu = page.locator('.context-view .monaco-menu');
  await menu.locator('.action-label', { hasText: 'Open Run Summary' }).waitFor();
  const items = await menu.locator('.action-label').allInnerTexts();
  await page.keyboard.press('Escape');
  assert.ok(!items.some((t) => /Resume|Retry/.test(t)), `context menu offers ${JSON.stringify(items)}`);
  const frame = await webviewFrame('Summary');
  await until('webview declined', async () => (await frame.locator('#run-status').textContent()) === 'declined', 30000);
  assert.strictEqual(await frame.locator('#resume, #approve, #decline, #retry').count(), 0, 'no buttons that would run it');
  assert.match(await frame.locator('#plan h3').innerText(), /declined plan/i);
  assert.strictEqual(await frame.locator('#summary-section, #groups').count(), 0, 'no "pending" coordinators or final summary');
  await assertLinksExist(frame, runId);
  stamp(`declined run ${runId}: context menu ${JSON.stringify(items)}`);
  await shot('08-declined-plan.png');
});

test('the Summary view follows the run selected in the Ledger', async () => {
  const frame = await webviewFrame('Summary');
  const rows = ledger().locator('.monaco-list-row[aria-level="1"]');
  const tasks = [];
  for (const i of [1, 0, 1]) {
    // A run row ends with its task (its label is when it started).
    const description = await rows.nth(i).locator('.label-description').textContent();
    const label = ['Audit this repo for security issues', 'Document every module'].find((t) => description.endsWith(t));
    // A click that lands while the tree re-renders a row (a run's status just changed) selects nothing:
    // click again until the Summary shows the run.
    let why = '';
    await until(`webview shows "${label}"`, async () => {
      await rows.nth(i).locator('.label-name').click();
      const ok = await until('summary switched', async () => (await frame.locator('#run-task').textContent()) === label, 3000).catch(() => false);
      if (!ok) why = `Summary shows "${await frame.locator('#run-task').textContent().catch((e) => e.message)}", row selected: ${await rows.nth(i).getAttribute('aria-selected')}, selected rows: ${JSON.stringify(await ledger().locator('.monaco-list-row[aria-selected="true"]').allInnerTexts().catch(() => []))}`;
      return ok;
    }, 15000).catch((e) => { throw new Error(`${e.message}: ${why}`); });
    tasks.push(label);
  }
  assert.notStrictEqual(tasks[0], tasks[1]);
  stamp(`summary followed: ${tasks.join(' → ')}`);
  await shot('09-summary-follows-selection.png');
});

test('a second run can be cancelled while it runs, and shows as cancelled', async () => {
  const { runId, frame } = await startSlowRun('Document every module in src/', 4000);
  await page.locator('.statusbar-item', { hasText: /running · \d+\/\d+/ }).first().waitFor();
  await shot('10-second-run-running.png');
  await runCommand('Orchestration: Cancel Run');
  await until('run cancelled on disk', () => readLedger(runId).status === 'cancelled', 30000);
  await until('run row cancelled', async () => (await runRows())[0]?.description.startsWith('cancelled'));
  await dismissRunEnd('Document every module in src/', 'cancelled');
  await until('webview cancelled', async () => (await frame.locator('#run-status').textContent()) === 'cancelled');
  const l = readLedger(runId);
  assert.ok(l.agents.some((a) => a.status === 'cancelled'), 'in-flight agents end cancelled');
  assert.ok(l.agents.every((a) => a.status !== 'running'), 'nothing is left running');
  await frame.locator('#resume').waitFor();
  stamp(`second run ${runId} cancelled: ${JSON.stringify(l.totals.agentsByStatus)}`);
  await shot('11-second-run-cancelled.png');
});

test('a run cut off by a window reload shows as interrupted and resumes to completed', async () => {
  const { runId } = await startSlowRun('Review lib/ for code quality', 3000);
  await until('an agent completed', () => readLedger(runId).agents.some((a) => a.role !== 'planner' && a.status === 'completed'), 60000);
  await runCommand('Developer: Reload Window');
  await page.waitForTimeout(1000);
  await page.locator('.monaco-workbench .activitybar a[aria-label="Orchestration"]').waitFor();
  // The reload may restore the Orchestration sidebar: clicking its icon then would close it.
  await ledger().waitFor({ state: 'visible', timeout: 5000 }).catch(() => undefined);
  // The old extension host may outlive the reload for a moment; the store re-checks foreign runs.
  let seen;
  const [first] = await until('run row interrupted', async () => {
    await showOrchestration();
    seen = await runRows();
    return seen[0]?.description.startsWith('interrupted') ? seen : null;
  }, 60000).catch(async (err) => {
    await shot('12-interrupted-after-reload-FAILED.png');
    throw new Error(`${err.message}; rows: ${JSON.stringify(seen)}; ledger: ${readLedger(runId).status}`);
  });
  assert.match(first.description, /· Review lib\/ for code quality$/);
  const done = readLedger(runId).agents.filter((a) => a.status === 'completed').length;
  const summary = await webviewFrame('Summary');
  await until('webview interrupted', async () => (await summary.locator('#run-status').textContent()) === 'interrupted', 30000);
  await summary.locator('#resume').waitFor();
  await shot('12-interrupted-after-reload.png');
  fs.writeFileSync(path.join(WORKSPACE, '.vscode', 'settings.json'), JSON.stringify({ 'orchestration.simulatedLatencyMs': 0 }, null, 2));
  await page.waitForTimeout(2000);
  const row = ledger().locator('.monaco-list-row[aria-level="1"]').first();
  await row.hover();
  await row.locator('.action-label[aria-label="Resume Run"]').click();
  await until('resumed run completed on disk', () => readLedger(runId).status === 'completed', 60000);
  await until('run row completed', async () => (await runRows())[0]?.description.startsWith('completed'));
  const l = readLedger(runId);
  assert.ok(l.agents.every((a) => a.status === 'completed'));
  await dismissRunEnd('Review lib/ for code quality', 'completed');
  stamp(`run ${runId} interrupted with ${done} agents done, resumed to completed`);
  await shot('13-resumed-to-completed.png');
});

/**
 * Screenshots of the sidebar views read like a user's screen: no stale editors or toasts, and the
 * sidebar dragged wider than its narrow default (best effort: a missing sash leaves it as it is).
 */
async function tidyForShots() {
  await runCommand('View: Close All Editors');
  await runCommand('Notifications: Clear All Notifications');
  const sidebar = await page.locator('.part.sidebar').boundingBox().catch(() => null);
  if (!sidebar || sidebar.width > 450) return;
  const edge = sidebar.x + sidebar.width;
  const y = sidebar.y + sidebar.height / 2;
  await page.mouse.move(edge, y);
  await page.mouse.down();
  await page.mouse.move(edge + 220, y, { steps: 10 });
  await page.mouse.up();
  const after = await page.locator('.part.sidebar').boundingBox().catch(() => null);
  stamp(`sidebar ${Math.round(sidebar.width)} px → ${Math.round(after?.width ?? 0)} px`);
}

const PIPELINE_TASK = 'Document src step by step: research → outline → draft → review';

test('a pipeline chosen in the quick pick plans its stages in order, with the pattern and the planner\'s reason', async () => {
  await showOrchestration();
  await tidyForShots();
  const before = newestRun();
  await orchestrate(PIPELINE_TASK, 'Pipeline');
  const frame = await webviewFrame('Summary');
  await until('pipeline plan', async () => newestRun() !== before && (await frame.locator('#approve').count()) > 0, 60000);
  const runId = newestRun();
  const planned = JSON.parse(fs.readFileSync(path.join(RUNS, runId, 'plan.json'), 'utf8'));
  assert.strictEqual(planned.pattern, 'pipeline');
  const pattern = await frame.locator('#pattern').innerText();
  assert.match(pattern, /^pipeline\b/i);
  if (planned.reason) assert.ok(pattern.includes(planned.reason.slice(0, 40)), `the reason is shown: ${pattern}`);
  const rows = await frame.locator('#plan-table vscode-data-grid-row:not([row-type="header"])').count();
  assert.strictEqual(rows, planned.stages.length + 1, 'one row per stage and the final step');
  stamp(`pipeline plan ${runId}: ${planned.stages.map((st) => st.name).join(' → ')}; ${pattern}`);
  await shot('14-pipeline-plan.png');
  await frame.locator('#approve').click();
  await until('pipeline completed on disk', () => readLedger(runId).status === 'completed', 120000);
});

test('the Ledger shows the pipeline\'s stages in order and the planner on the Plan node', async () => {
  const runId = newestRun();
  const planned = JSON.parse(fs.readFileSync(path.join(RUNS, runId, 'plan.json'), 'utf8'));
  await until('pipeline row completed', async () => (await runRows())[0]?.description.startsWith('completed'));
  const runRow = ledger().locator('.monaco-list-row[aria-level="1"]').first();
  await expand(runRow);
  const expected = ['Plan', ...planned.stages.map((st, i) => `${i + 1}. ${st.name}`), 'final'];
  const children = await until('stage rows', async () => {
    const r = await treeRows('.monaco-list-row[aria-level="2"]');
    return r.length === expected.length ? r : null;
  });
  assert.deepStrictEqual(children.map((c) => c.label), expected, 'the stages in plan order between the plan and the final step');
  assert.match(children[0].description, /^pipeline · \d+ stages · planner [\d.]+k? tok · ≈\$[\d.]+$/);
  for (const c of children.slice(1, -1)) assert.strictEqual(c.description, '1/1', `${c.label} is done`);
  await expand(ledger().locator('.monaco-list-row[aria-level="2"]', { has: page.locator('.label-name', { hasText: /^1\. / }) }).first());
  stamp(`pipeline tree: ${children.map((c) => `${c.label} [${c.description}]`).join(' | ')}`);
  await dismissRunEnd(PIPELINE_TASK, 'completed');
  await shot('15-pipeline-tree.png');
});

test('the Summary shows each stage\'s handoff in order', async () => {
  const runId = newestRun();
  const planned = JSON.parse(fs.readFileSync(path.join(RUNS, runId, 'plan.json'), 'utf8'));
  const frame = await webviewFrame('Summary');
  await until('webview shows the pipeline', async () => (await frame.locator('#run-task').textContent()) === PIPELINE_TASK && (await frame.locator('#run-status').textContent()) === 'completed');
  const stages = frame.locator('#pipeline li[data-stage]');
  await until('stage cards', async () => (await stages.count()) === planned.stages.length);
  for (let i = 0; i < planned.stages.length; i++) {
    const st = planned.stages[i];
    assert.strictEqual(await stages.nth(i).getAttribute('data-stage'), st.id);
    const handoff = fs.readFileSync(path.join(RUNS, runId, 'handoffs', `${st.id}.md`), 'utf8');
    const firstLine = handoff.split('## Summary')[1].split('\n').find((l) => l.trim()).trim();
    const shown = await stages.nth(i).locator('.handoff').innerText();
    assert.ok(shown.replace(/\s+/g, ' ').includes(firstLine.replace(/[*_`]/g, '').replace(/\s+/g, ' ').slice(0, 60)), `stage ${st.id} shows its handoff summary (${shown.slice(0, 80)})`);
  }
  await assertLinksExist(frame, runId);
  await frame.locator('#pipeline').scrollIntoViewIfNeeded();
  stamp(`pipeline card: ${planned.stages.length} handoffs`);
  await shot('16-pipeline-handoffs.png');
});

// The panel pattern lands in a later merge: this step runs once the quick pick offers it.
test('a panel chosen in the quick pick shows its experts, the consensus and the verdict table', async (t) => {
  await showOrchestration();
  const before = newestRun();
  const offered = await orchestrate('Should this project adopt strict TypeScript everywhere? Ask a panel of experts.', 'Expert panel');
  if (offered === null) {
    t.skip('the pattern registry (PATTERNS) has no panel yet, so the quick pick does not offer "Expert panel"');
    return;
  }
  const frame = await webviewFrame('Summary');
  await until('panel plan', async () => newestRun() !== before && (await frame.locator('#approve').count()) > 0, 60000);
  const runId = newestRun();
  assert.strictEqual(JSON.parse(fs.readFileSync(path.join(RUNS, runId, 'plan.json'), 'utf8')).pattern, 'panel');
  await shot('17-panel-plan.png');
  await frame.locator('#approve').click();
  await until('panel finished on disk', () => ['completed', 'partial'].includes(readLedger(runId).status), 120000);
  const experts = readLedger(runId).agents.filter((a) => a.role === 'expert');
  await until('panel row finished', async () => /^(completed|partial)/.test((await runRows())[0]?.description ?? ''));
  await expand(ledger().locator('.monaco-list-row[aria-level="1"]').first());
  const children = await until('panel rows', async () => {
    const r = await treeRows('.monaco-list-row[aria-level="2"]');
    return r.some((c) => c.label === 'consensus') ? r : null;
  });
  assert.strictEqual(children[0].label, 'Plan');
  assert.match(children[0].description, /^panel · \d+ experts/);
  const group = children.find((c) => /^Experts/.test(c.label));
  assert.ok(group, `an experts group: ${JSON.stringify(children)}`);
  await dismissRunEnd('Should this project adopt strict TypeScript', '(completed|finished)');
  await shot('18-panel-tree.png');
  await until('verdict table', async () => (await frame.locator('#verdict-table tr').count()) === experts.length + 1, 30000);
  const tally = JSON.parse(fs.readFileSync(path.join(RUNS, runId, 'panel', 'tally.json'), 'utf8'));
  assert.strictEqual(await frame.locator('#panel .tally-line').innerText(), tally.line);
  await assertLinksExist(frame, runId);
  // The view re-renders as the run settles: retry a scroll that lands on a replaced element.
  await until('verdicts in view', async () => frame.locator('#panel').scrollIntoViewIfNeeded({ timeout: 2000 }).then(() => true, () => false));
  stamp(`panel ${runId}: ${tally.line}`);
  await shot('19-panel-verdicts.png');
});

const BUILD_TASK = 'Add a doc comment to every source file';

test('a build chosen in the quick pick scouts, plans builders with their files, and changes nothing before Apply', async () => {
  await showOrchestration();
  await tidyForShots();
  const before = newestRun();
  await orchestrate(BUILD_TASK, 'Build');
  const frame = await webviewFrame('Summary');
  await until('build plan', async () => newestRun() !== before && (await frame.locator('#approve').count()) > 0, 60000);
  const runId = newestRun();
  const planned = JSON.parse(fs.readFileSync(path.join(RUNS, runId, 'plan.json'), 'utf8'));
  assert.strictEqual(planned.pattern, 'build');
  assert.ok(planned.builders.length >= 1 && planned.builders.every((b) => b.owns.length > 0), 'builders own files');
  assert.ok(readLedger(runId).agents.filter((a) => a.role === 'scout').every((a) => a.status === 'completed'), 'scouts ran before approval');
  stamp(`build plan ${runId}: ${planned.builders.map((b) => `${b.id} owns ${b.owns.join(', ')}`).join('; ')}`);
  await shot('20-build-plan.png');
  const target = planned.builders[0].owns[0];
  const original = fs.readFileSync(path.join(WORKSPACE, target), 'utf8');
  await frame.locator('#approve').click();
  await until('build finished on disk', () => readLedger(runId).status === 'completed', 120000);
  assert.strictEqual(fs.readFileSync(path.join(WORKSPACE, target), 'utf8'), original, 'nothing reaches the working tree before Apply');
});

test('the Ledger shows the build\'s Changes; a file opens in VS Code\'s diff editor, and Apply writes it to disk', async () => {
  const runId = newestRun();
  const planned = JSON.parse(fs.readFileSync(path.join(RUNS, runId, 'plan.json'), 'utf8'));
  const changes = JSON.parse(fs.readFileSync(path.join(RUNS, runId, 'changes.json'), 'utf8'));
  const target = planned.builders[0].owns[0];
  await until('build row completed', async () => (await runRows())[0]?.description.startsWith('completed'));
  await expand(ledger().locator('.monaco-list-row[aria-level="1"]').first());
  const added = changes.files.reduce((n, f) => n + f.added, 0);
  const label = `Changes (${changes.files.length} files, +${added} −0)`;
  const changesRow = ledger().locator('.monaco-list-row[aria-level="2"]', { has: page.locator('.label-name', { hasText: /^Changes/ }) }).first();
  await until('Changes row', async () => (await changesRow.locator('.label-name').textContent()) === label);
  await expand(changesRow);
  const fileRow = ledger().locator('.monaco-list-row[aria-level="3"]', { has: page.locator('.label-name', { hasText: path.posix.basename(target) }) }).first();
  await fileRow.click();
  const diff = page.locator('.monaco-diff-editor').first();
  await diff.waitFor({ timeout: 30000 });
  await until('diff tab', async () => (await page.locator('.tabs-container .tab.active').innerText()).includes('base ↔ proposed'));
  // The diff editor's two sides: the base without the builder's comment, the proposed side with it.
  // Monaco renders spaces as no-break spaces.
  const side = async (which) => (await diff.locator(`.editor.${which}`).first().innerText()).replace(/\s+/g, ' ');
  await until('proposed side shows the comment', async () => (await side('modified')).includes('Simulated doc comment'));
  assert.ok(!(await side('original')).includes('Simulated doc comment'), 'the base side is the file before the change');
  stamp(`diff of ${target} open; ${label}`);
  await dismissRunEnd(BUILD_TASK, 'completed');
  await shot('21-build-diff.png');
  await runCommand('Orchestration: Apply Changes');
  await until('file changed on disk', () => fs.readFileSync(path.join(WORKSPACE, target), 'utf8').includes('Simulated doc comment'), 30000);
  await until('Changes applied', async () => ((await changesRow.locator('.label-name').textContent()) ?? '').startsWith('Changes applied'), 30000);
  assert.strictEqual(JSON.parse(fs.readFileSync(path.join(RUNS, runId, 'changes.json'), 'utf8')).state, 'applied');
  stamp(`applied ${changes.files.length} files of ${runId}`);
  // The confirmation is a status-bar message that goes by itself, not a toast over the diff.
  await page.locator('.statusbar', { hasText: /Applied \d+ files? to your working tree/ }).waitFor();
  await assertNoToasts('after Apply');
  await shot('22-build-applied.png');
});

test('a build run\'s Summary shows its Changes above the fold', async () => {
  const runId = newestRun();
  const changes = JSON.parse(fs.readFileSync(path.join(RUNS, runId, 'changes.json'), 'utf8'));
  await runCommand('Notifications: Clear All Notifications');
  const frame = await webviewFrame('Summary');
  // The Summary follows the Ledger's selection: select the build's run row if it shows another run.
  await until('Summary shows the build run', async () => {
    if ((await frame.locator('.run-id').textContent().catch(() => '')) === runId) return true;
    await ledger().locator('.monaco-list-row[aria-level="1"]').first().click().catch(() => undefined);
    return false;
  }, 30000);
  const card = frame.locator('#changes');
  await until('Changes card', async () => /^Changes applied/.test((await card.locator('h4').textContent().catch(() => '')) ?? ''), 30000);
  // As a user opens it: at the top, at the default window size, without scrolling.
  const box = await card.evaluate((el) => {
    window.scrollTo(0, 0);
    const r = el.getBoundingClientRect();
    const scouts = document.querySelector('[data-group="scouts"]')?.getBoundingClientRect();
    return { top: r.top, bottom: r.bottom, viewport: window.innerHeight, scoutsTop: scouts ? scouts.top : null };
  });
  stamp(`Changes card ${Math.round(box.top)}–${Math.round(box.bottom)} px of a ${box.viewport} px view; scouts at ${box.scoutsTop === null ? '—' : Math.round(box.scoutsTop)}`);
  assert.ok(box.top >= 0 && box.bottom <= box.viewport, `the Changes card (${Math.round(box.top)}–${Math.round(box.bottom)} px) is inside the ${box.viewport} px view`);
  assert.ok(box.scoutsTop === null || box.scoutsTop > box.top, 'the Changes card comes before the Scouts card');
  const text = await card.innerText();
  assert.match(text, new RegExp(`${changes.files.length} files? · \\+\\d+ −\\d+`));
  for (const f of changes.files) assert.ok(text.includes(f.path), `the card lists ${f.path}`);
  assert.doesNotMatch(await frame.locator('body').innerText(), /\(s\)/, 'no "(s)" plurals');
  await shot('22b-build-summary-changes.png');
});

// The whole build pipeline (issue 17): the first run's audit findings → Fix Findings (two ticked) →
// plan → approve → the dashboard's board moving → Ship to Branch; then git shows one commit on the
// new branch, and the user's branch, index and tree as they were.
const { execFileSync } = require('node:child_process');
const git = (...args) => execFileSync('git', args, { cwd: WORKSPACE, encoding: 'utf8' }).trim();
const FIX_LATENCY_MS = 1200;
let fixRunId = null;
let settingsBeforeFix = null;

/** The multi-select quick pick's rows: label and whether its box is ticked. */
const pickRows = () => page.locator('.quick-input-widget .quick-input-list .monaco-list-row')
  .evaluateAll((els) => els.map((e) => ({ label: e.querySelector('.label-name')?.textContent ?? '', checked: e.getAttribute('aria-checked') === 'true' })));

test('Fix Findings on the audit: tick two findings, and the build plans scouts on their files', async () => {
  await showOrchestration();
  await tidyForShots();
  const auditId = fs.readdirSync(RUNS).filter((n) => /^\d{8}-\d{6}-[0-9a-f]{4}$/.test(n)).sort()
    .find((id) => readLedger(id).task === 'Audit this repo for security issues' && readLedger(id).status === 'completed');
  assert.ok(auditId, 'the first audit run is there');
  // Slow enough that the board is seen moving (restored after Ship).
  const settingsFile = path.join(WORKSPACE, '.vscode', 'settings.json');
  settingsBeforeFix = fs.existsSync(settingsFile) ? fs.readFileSync(settingsFile, 'utf8') : null;
  fs.mkdirSync(path.dirname(settingsFile), { recursive: true });
  fs.writeFileSync(settingsFile, JSON.stringify({ 'orchestration.simulatedLatencyMs': FIX_LATENCY_MS }, null, 2));
  await page.waitForTimeout(2500);
  const before = newestRun();
  await runCommand('Orchestration: Fix Findings');
  const box = page.locator('.quick-input-widget .quick-input-box input');
  // With several finished audits the command first asks which run: the audit's row carries its id.
  await until('findings or run pick', async () => {
    const title = (await page.locator('.quick-input-widget .quick-input-title').textContent().catch(() => '')) ?? '';
    if (title.startsWith('Fix Findings:')) return true;
    if (title.startsWith('Fix the findings of which run')) {
      await box.fill(auditId);
      await until('audit row', async () => (await page.locator('.quick-input-widget .quick-input-list .monaco-list-row').count()) === 1);
      await page.keyboard.press('Enter');
    }
    return false;
  }, 30000);
  const rows = await until('finding rows', async () => { const r = await pickRows(); return r.length ? r : null; });
  assert.ok(rows.length >= 2, `the audit lists at least two findings: ${JSON.stringify(rows)}`);
  assert.ok(rows.every((r) => /^F\d+( · (critical|major|minor))?$/.test(r.label)), `findings show id and severity: ${JSON.stringify(rows)}`);
  await shot('40-fix-findings-pick.png');
  // Tick exactly the first two.
  const want = rows.map((_, i) => i < 2);
  for (let i = 0; i < rows.length; i++) {
    const row = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { has: page.locator('.label-name', { hasText: new RegExp(`^${rows[i].label}$`) }) }).first();
    await until(`${rows[i].label} ${want[i] ? 'ticked' : 'unticked'}`, async () => {
      if ((await row.getAttribute('aria-checked') === 'true') === want[i]) return true;
      await row.locator('.quick-input-list-checkbox, input[type="checkbox"], .monaco-checkbox').first().click();
      return false;
    }, 15000);
  }
  const ticked = (await pickRows()).filter((r) => r.checked).map((r) => r.label.split(' ')[0]);
  assert.strictEqual(ticked.length, 2, `two findings ticked: ${ticked}`);
  await shot('41-fix-findings-two-ticked.png');
  await box.press('Enter');
  await until('task box', async () => ((await page.locator('.quick-input-widget .quick-input-title').textContent().catch(() => '')) ?? '').startsWith('Fix Findings: the build'));
  assert.strictEqual(await box.inputValue(), `Fix the selected findings from ${auditId}`);
  await page.keyboard.press('Enter');
  const frame = await webviewFrame('Summary');
  await until('the fix build\'s plan', async () => newestRun() !== before && (await frame.locator('#approve').count()) > 0, 120000);
  fixRunId = newestRun();
  const planned = JSON.parse(fs.readFileSync(path.join(RUNS, fixRunId, 'plan.json'), 'utf8'));
  const chosen = JSON.parse(fs.readFileSync(path.join(RUNS, fixRunId, 'findings.json'), 'utf8'));
  assert.strictEqual(planned.pattern, 'build');
  assert.deepStrictEqual(chosen.findings.map((f) => f.id), ticked, 'findings.json holds the two ticked findings');
  const cited = chosen.findings.map((f) => f.file).filter(Boolean);
  const scoped = planned.scouts.flatMap((s) => s.scope);
  for (const f of cited) assert.ok(scoped.some((s) => f === s || f.startsWith(`${s.replace(/\/$/, '')}/`)), `a scout's scope covers ${f}: ${scoped}`);
  assert.ok(planned.builders.some((b) => (b.addresses ?? []).length), 'a builder names the findings it fixes');
  stamp(`fix build ${fixRunId} from ${auditId}: ${ticked.join(', ')}; builders ${planned.builders.map((b) => `${b.id}→${(b.addresses ?? []).join('/')}`).join(' ')}`);
  await shot('42-fix-findings-plan.png');
  await frame.locator('#approve').click();
});

/**
 * Opens a run's dashboard from the palette, which asks which run. A run just approved starts its
 * agents meanwhile, and a pick that loses focus closes: the whole pick starts over until the run's
 * row was accepted.
 */
async function openDashboardOf(runId) {
  const box = page.locator('.quick-input-widget .quick-input-box input');
  // The only run in the workspace is opened at once, without asking which.
  const runs = fs.readdirSync(RUNS).filter((n) => /^\d{8}-\d{6}-[0-9a-f]{4}$/.test(n));
  if (runs.length === 1 && runs[0] === runId) {
    await runCommand('Orchestration: Open Run Dashboard');
    return panelFrame('Dashboard: ', 60000);
  }
  await until(`the pick of ${runId}`, async () => {
    await runCommand('Orchestration: Open Run Dashboard');
    await until('run pick', async () => ((await page.locator('.quick-input-widget .quick-input-title').textContent().catch(() => '')) ?? '').startsWith('Open the dashboard of which run'), 10000);
    await box.fill(runId, { timeout: 5000 });
    await until('the run\'s row', async () => (await page.locator('.quick-input-widget .quick-input-list .monaco-list-row').count()) === 1, 5000);
    await page.keyboard.press('Enter');
    return true;
  }, 90000);
  return panelFrame('Dashboard: ', 60000);
}

test('the dashboard\'s board moves each builder card from column to column as the build runs', async () => {
  // Approved from the Summary view, so the dashboard is opened by hand: the palette asks which run.
  const dash = await openDashboardOf(fixRunId);
  await until('the board', async () => (await dash.locator('#board .board-card').count()) > 0, 60000);
  const planned = JSON.parse(fs.readFileSync(path.join(RUNS, fixRunId, 'plan.json'), 'utf8'));
  const first = planned.builders[0].id;
  const seen = [];
  let midShot = false;
  await until('the build finished, watched on the board', async () => {
    const col = await dash.locator(`#board .board-card[data-card="${first}"]`).getAttribute('data-column').catch(() => null);
    if (col && seen[seen.length - 1] !== col) seen.push(col);
    if (!midShot && ['review', 'integrate', 'harden'].includes(col)) { midShot = true; await shot('43-board-moving.png'); }
    return ['completed', 'partial', 'failed'].includes(readLedger(fixRunId).status);
  }, 240000);
  stamp(`board: ${first} went ${seen.join(' → ')}; run ${readLedger(fixRunId).status}`);
  const order = ['plan', 'code', 'check', 'review', 'integrate', 'harden', 'ship'];
  assert.ok(seen.length >= 3, `the card moved through columns while the build ran: ${seen.join(' → ')}`);
  for (let i = 1; i < seen.length; i++) assert.ok(order.indexOf(seen[i]) > order.indexOf(seen[i - 1]), `the card only moves forward: ${seen.join(' → ')}`);
  assert.strictEqual(readLedger(fixRunId).status, 'completed');
  const summary = fs.readFileSync(path.join(RUNS, fixRunId, 'summary.md'), 'utf8');
  assert.match(summary, /## Findings/, 'summary.md maps the findings');
  assert.ok(fs.existsSync(path.join(RUNS, fixRunId, 'harden', 'tally.json')), 'the combined change was hardened');
  await dismissRunEnd(`Fix the selected findings from`, 'completed');
  await shot('44-board-done.png');
});

test('Ship to Branch makes one commit on a new branch; the user\'s branch, index and tree stay as they were', async () => {
  const head = git('rev-parse', 'HEAD');
  const branchBefore = git('rev-parse', '--abbrev-ref', 'HEAD');
  const status = git('status', '--porcelain');
  const planned = JSON.parse(fs.readFileSync(path.join(RUNS, fixRunId, 'plan.json'), 'utf8'));
  const changes = JSON.parse(fs.readFileSync(path.join(RUNS, fixRunId, 'changes.json'), 'utf8'));
  await showTab('Dashboard: ');
  const dash = await panelFrame('Dashboard: ');
  await dash.locator('#run-actions #ship-to-branch').click();
  const box = page.locator('.quick-input-widget .quick-input-box input');
  await until('branch box', async () => ((await page.locator('.quick-input-widget .quick-input-title').textContent().catch(() => '')) ?? '') === 'Ship to Branch');
  const branch = await box.inputValue();
  assert.strictEqual(branch, `orchestration/${fixRunId}`);
  await page.keyboard.press('Enter');
  await page.locator('.tabs-container .tab', { hasText: 'ship-message.md' }).waitFor();
  const ask = toasts().filter({ hasText: 'Edit the commit message' }).first();
  await ask.waitFor();
  await shot('45-ship-message.png');
  await ask.locator('.monaco-button', { hasText: /^Ship$/ }).click();
  await toasts().filter({ hasText: /Shipped|branch/ }).filter({ hasNotText: 'Edit the commit message' }).first().waitFor({ timeout: 60000 });
  const record = await until('ship.json', () => { try { return JSON.parse(fs.readFileSync(path.join(RUNS, fixRunId, 'ship.json'), 'utf8')); } catch { return null; } });
  assert.strictEqual(record.branch, branch);
  assert.strictEqual(git('rev-list', '--count', `${planned.base}..${branch}`), '1', 'one commit on the new branch');
  assert.strictEqual(git('rev-parse', `${branch}^`), planned.base, 'made from the run\'s base');
  const shippedFiles = git('diff', '--name-only', planned.base, branch).split('\n').filter(Boolean).sort();
  assert.deepStrictEqual(shippedFiles, changes.files.map((f) => f.path).sort(), 'the commit holds the approved change');
  assert.strictEqual(git('rev-parse', 'HEAD'), head, 'HEAD did not move');
  assert.strictEqual(git('rev-parse', '--abbrev-ref', 'HEAD'), branchBefore, 'still on the user\'s branch');
  assert.strictEqual(git('status', '--porcelain'), status, 'index and working tree as they were');
  assert.strictEqual(record.pushedTo, null, 'nothing pushed');
  stamp(`shipped ${fixRunId} to ${branch} (${git('log', '--oneline', '-1', branch)}); ${shippedFiles.length} files`);
  // The message editor took the dashboard's tab: bring it back, then read its (re-created) frame.
  await showTab('Dashboard: ');
  const shown = await panelFrame('Dashboard: ');
  await until('the dashboard says shipped', async () => (await shown.locator('#ship-status').getAttribute('data-state').catch(() => null)) === 'shipped', 30000);
  assert.strictEqual(await shown.locator('#board .board-card[data-column="ship"]').count(), planned.builders.length, 'every card in Ship');
  assert.match(await shown.locator('#ship-status').innerText(), new RegExp(branch.replace(/[/-]/g, '.')));
  await shot('46-shipped.png');
  const settingsFile = path.join(WORKSPACE, '.vscode', 'settings.json');
  if (settingsBeforeFix === null) fs.rmSync(settingsFile, { force: true });
  else fs.writeFileSync(settingsFile, settingsBeforeFix);
  await runCommand('Notifications: Clear All Notifications');
  await runCommand('View: Close All Editors');
});

/** The inner frame of an editor panel whose title starts with `prefix` (panels are titled "Plan: …", "Dashboard: …", "Agent a1…"). */
async function panelFrame(prefix, timeout = 30000) {
  return until(`panel ${prefix}`, async () => {
    const outers = page.locator('iframe.webview.ready');
    for (let i = 0; i < await outers.count(); i++) {
      const inner = outers.nth(i).contentFrame().locator(`iframe#active-frame[title^="${prefix}"]`);
      if (await inner.count()) return inner.contentFrame();
    }
    return null;
  }, timeout);
}

const REVIEW_TASK = 'Audit this repo for security issues';
const LIVE_LATENCY_MS = 4000;

/** The editor panels read best without the secondary side bar VS Code opens on the right. */
async function closeSecondarySideBar() {
  const bar = page.locator('.part.auxiliarybar');
  if (!(await bar.isVisible().catch(() => false))) return;
  await bar.locator('.action-label.codicon-close, .action-label[aria-label*="Hide"]').first().click({ timeout: 5000 }).catch(() => undefined);
}

/** Brings an editor tab forward by the start of its title, so its webview is loaded. */
async function showTab(prefix) {
  await page.locator('.tabs-container .tab', { hasText: prefix }).first().click();
}

/** Text of the plan panel's estimate once no preview is in flight. */
async function settledEstimate(frame) {
  return until('estimate settled', async () => {
    const box = frame.locator('#estimate');
    if (await box.locator('.spinner').count()) return null;
    const text = (await box.locator('.estimate-value').innerText()).trim();
    return text && text !== '—' ? text : null;
  });
}

test('a plan opens wide for review: a changed tier and a removed worker update the estimate, and Approve runs the edited plan', async () => {
  await showOrchestration();
  await runCommand('View: Close All Editors');
  await closeSecondarySideBar();
  fs.mkdirSync(path.join(WORKSPACE, '.vscode'), { recursive: true });
  fs.writeFileSync(path.join(WORKSPACE, '.vscode', 'settings.json'), JSON.stringify({ 'orchestration.simulatedLatencyMs': LIVE_LATENCY_MS }, null, 2));
  let runId;
  for (let attempt = 1; attempt <= 3; attempt++) {
    await page.waitForTimeout(2500);
    const before = newestRun();
    await orchestrate(REVIEW_TASK, 'Fan-out');
    const frame = await panelFrame('Plan: ', 90000);
    await until('plan in the review panel', async () => newestRun() !== before && (await frame.locator('#plan-groups tr.plan-item').count()) > 0, 90000);
    runId = newestRun();
    const planned = JSON.parse(fs.readFileSync(path.join(RUNS, runId, 'plan.json'), 'utf8'));
    const first = planned.domains[0].workers[0];
    const tier = first.tier === 'opus' ? 'haiku' : 'opus';
    const initial = await settledEstimate(frame);
    await shot('30-plan-review-panel.png');
    await frame.locator(`[data-key="tier:${first.id}"]`).selectOption(tier);
    const afterTier = await until('estimate after the tier change', async () => {
      const e = await settledEstimate(frame);
      return e !== initial ? e : null;
    });
    assert.strictEqual(await frame.locator(`tr.plan-item.changed[data-agent="${first.id}"]`).count(), 1, 'the edited row is marked');
    // The biggest domain loses its last worker; at the minimum size that is an error shown on the domain until a worker is added back.
    const big = [...planned.domains].sort((a, b) => b.workers.length - a.workers.length)[0];
    const removed = big.workers[big.workers.length - 1];
    await frame.locator(`[data-key="remove:${removed.id}"]`).click();
    await until('worker removed', async () => (await frame.locator(`tr.plan-item[data-agent="${removed.id}"]`).count()) === 0);
    let note = 'valid';
    if (big.workers.length <= 3) {
      await frame.locator('#plan-errors li').first().waitFor();
      note = await frame.locator('#plan-errors').innerText();
      assert.ok(await frame.locator('#approve[disabled]').count(), 'an invalid plan cannot be approved');
      await shot('31-plan-review-invalid.png');
      const form = frame.locator(`details.add-form[data-group="${big.id}"]`);
      await form.locator('summary').click();
      await form.locator(`[data-key="add:${big.id}:task"]`).fill('Check how errors from this area reach the logs');
      await form.locator(`[data-key="add:${big.id}:scope"]`).fill(big.workers[0].scope[0]);
      await form.locator(`#add-${big.id}`).click();
      await until('error cleared', async () => (await frame.locator('#plan-errors').count()) === 0);
    }
    const afterRemove = await settledEstimate(frame);
    stamp(`plan ${runId}: ${first.id} → ${tier} (estimate ${initial} → ${afterTier}); removed ${removed.id} (${note.replace(/\s+/g, ' ')}); now ${afterRemove}`);
    await shot('32-plan-review-edited.png');
    await until('approve enabled', async () => (await frame.locator('#approve:not([disabled])').count()) === 1);
    await frame.locator('#approve').click();
    const revised = await until('plan.json revised', () => {
      const p = JSON.parse(fs.readFileSync(path.join(RUNS, runId, 'plan.json'), 'utf8'));
      return p.domains[0].workers[0].tier === tier ? p : null;
    });
    assert.ok(!revised.domains.flatMap((d) => d.workers).some((w) => w.id === removed.id && big.workers.length > 3), `${removed.id} is gone from plan.json`);
    const workers = revised.domains.reduce((n, d) => n + d.workers.length, 0);
    assert.strictEqual(readLedger(runId).agents.filter((a) => a.role === 'worker').length, workers, 'the ledger runs the revised plan');
    const state = await until('run running or finished', () => {
      const st = readLedger(runId).status;
      return st === 'running' ? 'running' : ['completed', 'partial', 'failed'].includes(st) ? 'finished' : null;
    }, 60000);
    if (state === 'running') break;
    stamp(`attempt ${attempt}: ${runId} finished before the latency setting applied; again`);
  }
  assert.strictEqual(readLedger(runId).status, 'running', `orchestration.simulatedLatencyMs = ${LIVE_LATENCY_MS} never took effect`);
});

test('the run dashboard opens on approval and shows the run live: one lane per domain, bars growing, spend by model and role', async () => {
  const runId = newestRun();
  const frame = await panelFrame('Dashboard: ');
  await until('timeline rows', async () => (await frame.locator('#timeline .tl-agent').count()) > 0);
  const planned = JSON.parse(fs.readFileSync(path.join(RUNS, runId, 'plan.json'), 'utf8'));
  const lanes = await frame.locator('#timeline .tl-lane').count();
  assert.strictEqual(lanes, planned.domains.length + 1, 'a lane per domain and one for the final synthesis');
  await until('a running bar', async () => (await frame.locator('.tl-agent.status-running rect.seg-running').count()) > 0);
  assert.ok(await frame.locator('.live-dot').count(), 'marked live');
  const w1 = await frame.locator('#tile-span .tile-value').innerText();
  await page.waitForTimeout(2500);
  const w2 = await frame.locator('#tile-span .tile-value').innerText();
  assert.notStrictEqual(w1, w2, 'the elapsed time moves while agents run');
  await until('spend bars', async () => (await frame.locator('#model-bars .bar-label').count()) > 0);
  stamp(`dashboard live: ${lanes} lanes, elapsed ${w1} → ${w2}, models ${(await frame.locator('#model-bars .bar-label').allInnerTexts()).join(', ')}`);
  await shot('33-dashboard-live.png');
});

/** A worker that started last and has made at most one request: it has the most work left. */
const freshWorker = (runId) => until('a freshly started agent', () => readLedger(runId).agents
  .filter((a) => a.role !== 'planner' && a.status === 'running' && a.requests <= 1)
  .sort((a, b) => (b.startedAt ?? '').localeCompare(a.startedAt ?? ''))[0]);

/** Opens an agent's view by clicking its bar in the run's dashboard. */
async function openAgentFromDashboard(agentId) {
  await showTab('Dashboard: ');
  const dash = await panelFrame('Dashboard: ');
  await dash.locator(`.tl-agent[data-agent="${agentId}"]`).click();
  return panelFrame(`Agent ${agentId}`);
}

test('clicking a running agent\'s bar opens its live view, whose conversation grows while it works; Stop Agent stops it alone', async () => {
  const runId = newestRun();
  const agentId = (await freshWorker(runId)).id;
  const frame = await openAgentFromDashboard(agentId);
  await frame.locator('#conversation').waitFor();
  const first = await until('entries', async () => {
    const n = await frame.locator('#conversation .entry').count();
    return n > 0 ? n : null;
  });
  if (readLedger(runId).agents.find((a) => a.id === agentId).status === 'running') {
    await until('marked live while it works', async () => (await frame.locator('.live-dot').count()) > 0, 5000);
  }
  const grown = await until('the conversation grows', async () => {
    const n = await frame.locator('#conversation .entry').count();
    return n > first ? n : null;
  }, 15000);
  stamp(`agent view ${agentId}: ${first} → ${grown} entries, status ${await frame.locator('#agent-status').textContent()}`);
  await shot('34-agent-view-live.png');
  // Stop the agent watched if it still works, else another that does.
  let target = agentId;
  let view = frame;
  if (!['running', 'verifying', 'retrying'].includes(readLedger(runId).agents.find((a) => a.id === agentId).status)) {
    target = (await freshWorker(runId)).id;
    view = await openAgentFromDashboard(target);
  }
  await view.locator('#stop').click();
  await until(`${target} stopped`, () => readLedger(runId).agents.find((a) => a.id === target).status === 'cancelled', 30000);
  await until('view shows cancelled', async () => (await view.locator('#agent-status').textContent()) === 'cancelled', 15000);
  const l = readLedger(runId);
  assert.ok(l.status === 'running' || l.agents.filter((a) => a.role === 'worker' && a.id !== target).every((a) => a.status === 'completed'), 'the rest of the run goes on');
  stamp(`stopped ${target}: ${l.agents.find((a) => a.id === target).error}`);
  await shot('35-agent-stopped.png');
});

/** Scrolls a webview element into view; a re-render (a late post as the run ends) can replace it mid-scroll, so try again. */
async function scrollTo(frame, selector) {
  await until(`${selector} in view`, async () => {
    await frame.locator(selector).scrollIntoViewIfNeeded({ timeout: 3000 });
    return true;
  }, 20000);
}

test('after the run, the dashboard shows the whole timeline, and the stopped agent among the gaps', async () => {
  const runId = newestRun();
  await until('run finished on disk', () => ['completed', 'partial', 'failed'].includes(readLedger(runId).status), 180000);
  await showTab('Dashboard: ');
  const frame = await panelFrame('Dashboard: ');
  await until('dashboard finished', async () => ['completed', 'partial', 'failed'].includes(await frame.locator('#run-status').textContent()), 30000);
  assert.strictEqual(await frame.locator('.live-dot').count(), 0, 'no longer live');
  const l = readLedger(runId);
  const gaps = await frame.locator('#gaps li').allInnerTexts();
  assert.ok(l.gaps.length > 0, 'the stopped agent is a gap');
  for (const g of l.gaps) assert.ok(gaps.some((t) => t.startsWith(g.agentId)), `gap ${g.agentId} shown`);
  await scrollTo(frame, '#timeline-section');
  stamp(`dashboard after: ${l.status}, gaps ${JSON.stringify(gaps)}`);
  await dismissRunEnd(REVIEW_TASK, '(completed|finished)');
  await shot('36-dashboard-finished.png');
  await scrollTo(frame, '#by-model');
  await shot('37-dashboard-spend-and-gaps.png');
  fs.writeFileSync(path.join(WORKSPACE, '.vscode', 'settings.json'), JSON.stringify({ 'orchestration.simulatedLatencyMs': 0 }, null, 2));
});

const MIXED_TASK = 'Audit this repo for leaked secrets and unsafe input handling';

test('the dashboard after a run with one failed and one cancelled agent shows them in their colours', async () => {
  await runCommand('View: Close All Editors');
  await showOrchestration();
  let runId;
  let blocked;
  for (let attempt = 1; attempt <= 3; attempt++) {
    fs.writeFileSync(path.join(WORKSPACE, '.vscode', 'settings.json'), JSON.stringify({ 'orchestration.simulatedLatencyMs': 2500 }, null, 2));
    await page.waitForTimeout(2500);
    const before = newestRun();
    await orchestrate(MIXED_TASK, 'Fan-out');
    const frame = await panelFrame('Plan: ', 90000);
    await until('plan in the review panel', async () => newestRun() !== before && (await frame.locator('#plan-groups tr.plan-item').count()) > 0, 90000);
    runId = newestRun();
    const planned = JSON.parse(fs.readFileSync(path.join(RUNS, runId, 'plan.json'), 'utf8'));
    // The last worker cannot write its report: a folder stands where its file goes, so write_output
    // is refused, the retry fails the same way, and the engine records it failed.
    blocked = planned.domains.at(-1).workers.at(-1).id;
    fs.mkdirSync(path.join(RUNS, runId, 'workers', `${blocked}.md`, 'in-the-way'), { recursive: true });
    await until('approve enabled', async () => (await frame.locator('#approve:not([disabled])').count()) === 1);
    await frame.locator('#approve').click();
    const state = await until('run running or finished', () => {
      const st = readLedger(runId).status;
      return st === 'running' ? 'running' : ['completed', 'partial', 'failed'].includes(st) ? 'finished' : null;
    }, 60000);
    if (state === 'running') break;
    stamp(`attempt ${attempt}: ${runId} finished before the latency setting applied; again`);
  }
  assert.strictEqual(readLedger(runId).status, 'running', 'the run with a blocked worker runs slowly enough to stop an agent');
  const target = (await until('a running worker to stop', () => readLedger(runId).agents
    .filter((a) => a.role === 'worker' && a.id !== blocked && a.status === 'running' && a.requests <= 1)
    .sort((a, b) => (b.startedAt ?? '').localeCompare(a.startedAt ?? ''))[0])).id;
  const view = await openAgentFromDashboard(target);
  await view.locator('#stop').click();
  await until(`${target} stopped`, () => readLedger(runId).agents.find((a) => a.id === target).status === 'cancelled', 30000);
  await until('run finished on disk', () => ['completed', 'partial', 'failed'].includes(readLedger(runId).status), 180000);
  fs.writeFileSync(path.join(WORKSPACE, '.vscode', 'settings.json'), JSON.stringify({ 'orchestration.simulatedLatencyMs': 0 }, null, 2));
  const l = readLedger(runId);
  assert.strictEqual(l.agents.find((a) => a.id === blocked).status, 'failed', `${blocked} failed: ${l.agents.find((a) => a.id === blocked).error}`);
  await runCommand('Notifications: Clear All Notifications');
  await showTab('Dashboard: ');
  const frame = await panelFrame('Dashboard: ');
  await until('dashboard finished', async () => ['completed', 'partial', 'failed'].includes(await frame.locator('#run-status').textContent()), 30000);
  await until('the outcomes drawn', async () => (await frame.locator(`.tl-agent[data-agent="${blocked}"] rect.seg-failed`).count()) > 0
    && (await frame.locator(`.tl-agent[data-agent="${target}"] rect.seg-cancelled`).count()) > 0, 15000);
  assert.strictEqual(await frame.locator('#timeline rect.seg-running').count(), 0, 'no bar of a finished run stays the running blue');
  const legend = await frame.locator('#timeline-legend .tl-legend-item').allInnerTexts();
  for (const want of ['completed', 'failed', 'cancelled']) assert.ok(legend.includes(want), `${want} in the legend ${JSON.stringify(legend)}`);
  assert.ok(!legend.includes('running'), `nothing runs, so no running key: ${JSON.stringify(legend)}`);
  // The same done/total as every view: completed agents of the plan (the planner left out).
  const plan = l.agents.filter((a) => a.role !== 'planner');
  assert.strictEqual(await frame.locator('#tile-agents .tile-value').innerText(), `${plan.filter((a) => a.status === 'completed').length}/${plan.length}`);
  await scrollTo(frame, '#timeline-section');
  stamp(`run ${runId}: ${blocked} failed, ${target} cancelled; legend ${legend.join(', ')}`);
  await shot('36b-dashboard-failed-and-cancelled.png');
});

test('a window reload restores the dashboard', async () => {
  const runId = newestRun();
  await showTab('Dashboard: ');
  await until('dashboard in front', async () => (await (await panelFrame('Dashboard: ')).locator('.run-id').textContent()) === runId);
  await page.evaluate(() => { window.beforeReload = true; });
  await runCommand('Developer: Reload Window');
  await until('the window reloaded', async () => !(await page.evaluate(() => window.beforeReload === true).catch(() => false)), 60000);
  await page.locator('.monaco-workbench .activitybar a[aria-label="Orchestration"]').waitFor({ timeout: 120000 });
  const frame = await panelFrame('Dashboard: ', 90000).catch(async (err) => {
    await shot('36c-dashboard-restored-FAILED.png');
    throw err;
  });
  await until('the restored dashboard shows the same run', async () => (await frame.locator('.run-id').textContent()) === runId, 30000);
  const status = readLedger(runId).status;
  await until('with the run\'s status and timeline', async () => (await frame.locator('#run-status').textContent()) === status
    && (await frame.locator('#timeline .tl-agent').count()) > 0, 30000);
  await runCommand('Notifications: Clear All Notifications');
  await scrollTo(frame, '#timeline-section');
  await shot('36c-dashboard-restored-after-reload.png');
  // Live, not a picture of the last state: a click on a bar reaches the extension, which opens the agent.
  const agentId = readLedger(runId).agents.find((a) => a.role === 'worker' && a.status === 'completed').id;
  const view = await until('the agent opened from the restored dashboard', async () => {
    await showTab('Dashboard: ');
    await (await panelFrame('Dashboard: ')).locator(`.tl-agent[data-agent="${agentId}"]`).click();
    return panelFrame(`Agent ${agentId}`, 5000).catch(() => null);
  }, 30000);
  await until('the agent view shows its status', async () => (await view.locator('#agent-status').textContent()) === 'completed', 30000);
  stamp(`reload restored the dashboard of ${runId} (${status}); a click opened ${agentId}`);
});

test('a finished worker\'s context menu offers Show, Rerun and Ask, not Stop; Open Run Dashboard is on the run', async () => {
  await runCommand('View: Close All Editors');
  await showOrchestration();
  const runRow = ledger().locator('.monaco-list-row[aria-level="1"]').first();
  await runRow.click({ button: 'right' });
  const menu = page.locator('.context-view .monaco-menu');
  await menu.locator('.action-label', { hasText: 'Open Run Dashboard' }).waitFor();
  await page.keyboard.press('Escape');
  await expand(runRow);
  const domainA = ledger().locator('.monaco-list-row[aria-level="2"]', { has: page.locator('.label-name', { hasText: 'A · ' }) }).first();
  await expand(domainA);
  const worker = ledger().locator('.monaco-list-row[aria-level="3"]', { has: page.locator('.custom-view-tree-node-item-icon.codicon-pass') }).first();
  await worker.click({ button: 'right' });
  await menu.locator('.action-label', { hasText: 'Show Agent' }).waitFor();
  const items = await menu.locator('.action-label').allInnerTexts();
  await shot('38-agent-context-menu.png');
  await page.keyboard.press('Escape');
  for (const want of ['Show Agent', 'Rerun Agent', 'Ask Agent']) assert.ok(items.includes(want), `${want} in ${JSON.stringify(items)}`);
  assert.ok(!items.includes('Stop Agent'), 'no Stop on a finished agent');
  stamp(`agent menu: ${JSON.stringify(items.filter(Boolean))}`);
});

/**
 * A finished fan-out of 1,000 workers written straight to disk (ledger.json and events.jsonl, as
 * the engine writes them): 5 domains of 200, 8 at once, a few retries and failures.
 */
function writeThousandAgentRun() {
  const runId = '20200101-000000-beef';
  const dir = path.join(RUNS, runId);
  fs.mkdirSync(dir, { recursive: true });
  const t0 = Date.parse('2020-01-01T00:00:00Z');
  const iso = (ms) => new Date(t0 + ms).toISOString();
  const usage = { input: 4000, output: 800, cacheRead: 2000, cacheWrite: 500 };
  const agents = [];
  const events = [];
  let seq = 0;
  const ev = (ms, id, status) => events.push({ seq: ++seq, t: iso(ms), type: 'agent', id, status });
  const base = (id, role, domain, tier) => ({
    id, role, domain, tier, task: `${role === 'worker' ? 'Inventory entry points and secrets in' : 'Synthesise'} src/area${id}`, scope: [`src/${id}`], dependsOn: [],
    modelRequested: `claude-${tier}-5-5`, modelReported: `claude-${tier}-5-5`, status: 'completed', attempts: 1, queuedAt: null, startedAt: null, endedAt: null,
    usage, costUsd: tier === 'haiku' ? 0.006 : 0.02, requests: 3, toolCalls: 4, outputFile: `workers/${id}.md`, returned: 'Done. Looked.', returnTokens: 5, error: null,
  });
  agents.push({ ...base('planner', 'planner', null, 'sonnet'), outputFile: 'plan.md' });
  const letters = 'abcde';
  for (let i = 0; i < 1000; i++) {
    const d = letters[i % 5];
    const id = `${d}${Math.floor(i / 5) + 1}`;
    const a = base(id, 'worker', d, i % 3 ? 'haiku' : 'sonnet');
    const start = Math.floor(i / 8) * 6000 + (i % 8) * 400;
    ev(0, id, 'queued');
    ev(start, id, 'running');
    if (i % 37 === 0) { ev(start + 3000, id, 'retrying'); ev(start + 3500, id, 'running'); a.attempts = 2; }
    ev(start + 5200, id, 'verifying');
    const failed = i % 97 === 0;
    ev(start + 5600, id, failed ? 'failed' : 'completed');
    Object.assign(a, { status: failed ? 'failed' : 'completed', queuedAt: iso(0), startedAt: iso(start), endedAt: iso(start + 5600), error: failed ? 'no sentinel after 2 attempts' : null });
    agents.push(a);
  }
  const end = Math.floor(999 / 8) * 6000 + 9000;
  for (const d of letters) {
    const c = { ...base(`coord-${d}`, 'coordinator', d, 'sonnet'), outputFile: `synthesis/${d}.md`, queuedAt: iso(end - 8000), startedAt: iso(end - 8000), endedAt: iso(end - 2000) };
    agents.push(c);
    ev(end - 8000, c.id, 'running'); ev(end - 2000, c.id, 'completed');
  }
  agents.push({ ...base('final', 'final', null, 'sonnet'), outputFile: 'summary.md', startedAt: iso(end - 2000), endedAt: iso(end) });
  ev(end - 2000, 'final', 'running'); ev(end, 'final', 'completed');
  const failed = agents.filter((a) => a.status === 'failed');
  const byStatus = { pending: 0, queued: 0, running: 0, verifying: 0, retrying: 0, completed: agents.length - failed.length, failed: failed.length, cancelled: 0, skipped: 0 };
  const ledger = {
    version: 1, runId, task: 'Audit a monorepo of 1,000 packages for leaked secrets', workspace: WORKSPACE, simulated: true, status: 'partial',
    reason: `${failed.length} workers failed`, createdAt: iso(-60000), updatedAt: iso(end), startedAt: iso(0), endedAt: iso(end), pid: null,
    estimate: null, pattern: 'fan-out', groups: letters.split('').map((d) => ({ id: d, label: `Packages ${d.toUpperCase()}` })),
    gaps: failed.map((a) => ({ agentId: a.id, outputFile: a.outputFile, reason: a.error })), agents,
    totals: { agentsByStatus: byStatus, usage: { input: 4000 * agents.length, output: 800 * agents.length, cacheRead: 2000 * agents.length, cacheWrite: 500 * agents.length },
      costUsd: agents.reduce((n, a) => n + a.costUsd, 0), costByModel: {}, requests: 3 * agents.length, toolCalls: 4 * agents.length,
      parentContextTokens: 2100, flatBaselineTokens: 4_100_000, wallMs: end },
  };
  fs.writeFileSync(path.join(dir, 'ledger.json'), JSON.stringify(ledger));
  fs.writeFileSync(path.join(dir, 'events.jsonl'), events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  return { runId, failed: failed.length };
}

test('the dashboard stays readable at 1,000 agents: one density strip per group, unfolding a page at a time', async () => {
  const { runId, failed } = writeThousandAgentRun();
  await runCommand('View: Close All Editors');
  await showOrchestration();
  // From the palette, which picks among the runs by task (the Ledger may hold the run below its fold).
  const box = page.locator('.quick-input-widget .quick-input-box input');
  await until('the 1,000-agent run offered', async () => {
    await runCommand('Orchestration: Refresh');
    await page.waitForTimeout(500);
    await runCommand('Orchestration: Open Run Dashboard');
    // Earlier steps left several runs, so the command asks which; on a loaded machine the pick can
    // take a moment to appear (a fixed wait here once took its absence for "opened at once").
    // The palette's own command list lingers for a moment and is not that pick.
    const isRunPick = async () => (await box.isVisible())
      && !((await box.getAttribute('placeholder')) ?? '').startsWith('Type the name of a command')
      && (await pickLabels()).length > 0;
    const dashboardOpen = async () => (await page.locator('.tabs-container .tab', { hasText: 'Dashboard: Audit a monorepo' }).count()) > 0;
    const picked = await until('the run pick', async () => (await isRunPick()) || (await dashboardOpen()), 10000).then(() => isRunPick(), () => false);
    // With only this run there is nothing to pick: its dashboard opens at once.
    if (!picked) return dashboardOpen();
    await box.fill('monorepo');
    await page.waitForTimeout(300);
    if ((await pickLabels())[0]?.startsWith('Audit a monorepo')) {
      await page.keyboard.press('Enter');
      return true;
    }
    await page.keyboard.press('Escape');
    return false;
  }, 60000);
  const frame = await panelFrame('Dashboard: Audit a monorepo').catch(async (err) => {
    await shot('39-dashboard-1000-agents-FAILED.png');
    throw err;
  });
  await until('five strips', async () => (await frame.locator('.tl-density').count()) === 5);
  assert.strictEqual(await frame.locator('.tl-agent').count(), 1, 'one row, the final summary: none of the 1,000 workers until a group unfolds');
  assert.match(await frame.locator('#tile-agents .tile-value').innerText(), /^\d+\/1006$/);
  assert.strictEqual(await frame.locator('#gaps li').count(), failed);
  await shot('39-dashboard-1000-agents.png');
  await frame.locator('.tl-lane[data-lane="b"] .tl-toggle').click();
  await until('lane b unfolded', async () => (await frame.locator('.tl-lane[data-lane="b"] .tl-agent').count()) === 50);
  await frame.locator('.tl-lane[data-lane="b"] .tl-pager button', { hasText: 'Next' }).click();
  await until('second page', async () => (await frame.locator('.tl-lane[data-lane="b"] .tl-pager').innerText()).includes('Agents 51–100 of 201'));
  await scrollTo(frame, '.tl-lane[data-lane="b"]');
  await shot('40-dashboard-1000-agents-unfolded.png');
  stamp(`1,000-agent run ${runId}: 5 strips, lane b unfolded to page 2`);
});

/** An HTTP server on 127.0.0.1 that answers nothing useful and counts every request it receives. */
async function startRecorder() {
  const requests = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    req.resume();
    res.writeHead(503, { 'content-type': 'application/json' }).end('{"type":"error","error":{"type":"overloaded_error","message":"recorder"}}');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.unref(); // a failed step must not keep the test process alive
  return { url: `http://127.0.0.1:${server.address().port}`, requests, close: () => new Promise((resolve) => server.close(resolve)) };
}

const HOSTILE_TASK = 'Inventory the entry points of src';
let recorder;

test('a workspace\'s settings cannot send the key elsewhere: its baseUrl, provider and autoApprovePlan are ignored, and the plan says so', async () => {
  recorder = await startRecorder();
  await runCommand('View: Close All Editors');
  await runCommand('Notifications: Clear All Notifications');
  // What a hostile repository ships: its own endpoint for the key, the real API, and no review.
  fs.mkdirSync(path.join(WORKSPACE, '.vscode'), { recursive: true });
  fs.writeFileSync(path.join(WORKSPACE, '.vscode', 'settings.json'), JSON.stringify({
    'orchestration.simulatedLatencyMs': 0,
    'orchestration.baseUrl': recorder.url,
    'orchestration.provider': 'anthropic',
    'orchestration.autoApprovePlan': true,
  }, null, 2));
  // A key is stored, so code that obeyed the workspace would really send it to the recorder.
  await runCommand('Orchestration: Set API Key');
  const box = page.locator('.quick-input-widget .quick-input-box input');
  await page.locator('.quick-input-widget', { hasText: 'Anthropic API Key' }).waitFor();
  assert.strictEqual(await box.getAttribute('type'), 'password', 'the key is typed into a password box');
  await box.fill('sk-ant-e2e-0000-not-a-real-key');
  await page.keyboard.press('Enter');
  await page.locator('.statusbar', { hasText: 'Anthropic API key stored' }).waitFor();
  await showOrchestration();
  // VS Code applies a settings.json edit asynchronously: a plan without the notes was made before
  // it had; decline it and plan again.
  let runId;
  let l;
  for (let attempt = 1; attempt <= 4; attempt++) {
    await page.waitForTimeout(2000);
    const before = newestRun();
    await orchestrate(HOSTILE_TASK, 'Fan-out');
    const frame = await webviewFrame('Summary');
    const state = await until('the plan, or a run that did not wait', async () => {
      if (newestRun() === before) return null;
      const st = readLedger(newestRun()).status;
      if (st === 'awaiting-approval') return (await frame.locator('#decline').count()) > 0 ? st : null;
      return ['planning', 'queued'].includes(st) ? null : st;
    }, 60000);
    runId = newestRun();
    l = readLedger(runId);
    if (l.ignoredSettings?.length) {
      assert.strictEqual(state, 'awaiting-approval', `autoApprovePlan from the workspace must not run the plan (ledger status ${state})`);
      break;
    }
    stamp(`attempt ${attempt}: ${runId} planned before the workspace settings applied (status ${state}); again`);
    if (state === 'awaiting-approval') await frame.locator('#decline').click();
  }
  const frame = await webviewFrame('Summary');
  assert.deepStrictEqual(recorder.requests, [], 'nothing reached the workspace\'s baseUrl');
  assert.strictEqual(l.simulated, true, 'the run is on the user\'s provider (simulated), not the workspace\'s');
  assert.strictEqual(l.status, 'awaiting-approval', 'the plan waits for Approve');
  const ignored = (l.ignoredSettings ?? []).map((i) => `${i.key} from ${i.source}`);
  for (const key of ['baseUrl', 'provider', 'autoApprovePlan']) {
    assert.ok(ignored.some((i) => i.startsWith(`${key} from .vscode/settings.json`)), `ledger.json ignoredSettings names ${key}: ${JSON.stringify(ignored)}`);
  }
  const notes = await frame.locator('#trust-notes').innerText();
  assert.match(notes, /Ignored [^\n]*"baseUrl"[^\n]* from \.vscode\/settings\.json/);
  assert.match(notes, /Ignored [^\n]*"autoApprovePlan"[^\n]* from \.vscode\/settings\.json/);
  assert.ok(!notes.includes(recorder.url), 'the note names the key, not the workspace\'s endpoint');
  // The plan editor, opened wide for review, says the same above its Approve.
  const planNotes = await (await panelFrame(`Plan: ${HOSTILE_TASK}`)).locator('#trust-notes').innerText();
  assert.match(planNotes, /Ignored [^\n]*"baseUrl"[^\n]* from \.vscode\/settings\.json/);
  // And the Orchestration log, each time a session opens.
  if (process.env.CS_LOGS) {
    const logged = () => fs.readdirSync(process.env.CS_LOGS, { recursive: true }).filter((f) => String(f).endsWith('Orchestration.log'))
      .some((f) => fs.readFileSync(path.join(process.env.CS_LOGS, String(f)), 'utf8').match(/Ignored [^\n]*"baseUrl"[^\n]* from \.vscode\/settings\.json/));
    await until('the log names the ignored baseUrl', logged, 15000);
  }
  // The Summary re-renders as the ledger settles: scroll the notes into view once they hold still.
  await until('notes in view', () => frame.locator('#trust-notes').scrollIntoViewIfNeeded({ timeout: 2000 }).then(() => true), 15000);
  stamp(`run ${runId}: ${ignored.length} workspace settings ignored (${ignored.join('; ')}); recorder saw ${recorder.requests.length} requests`);
  await shot('41-workspace-settings-ignored.png');
  await frame.locator('#decline').click();
  await until('run declined on disk', () => readLedger(runId).status === 'declined', 30000);
  assert.deepStrictEqual(recorder.requests, [], 'nothing reached the workspace\'s baseUrl');
});

/** The Settings editor's result for its current search on one tab: the count line and the settings' titles. */
async function settingsTab(tab) {
  const editor = page.locator('.settings-editor');
  await editor.locator('.settings-tabs-widget .action-label', { hasText: tab }).first().click();
  await until(`${tab} tab selected`, async () => (await editor.locator('.settings-tabs-widget .action-label.checked', { hasText: tab }).count()) === 1, 10000);
  // The list is rebuilt after the switch: read it once the count and the titles agree.
  return until(`${tab} tab results`, async () => {
    const count = ((await editor.locator('.settings-count-widget').textContent()) ?? '').trim();
    const titles = await editor.locator('.settings-editor-tree .setting-item .setting-item-title').allInnerTexts();
    const n = /^(\d+) Settings? Found/.exec(count)?.[1];
    return (count === 'No Settings Found' && titles.length === 0) || (n && Number(n) === titles.length) ? { count, titles } : null;
  }, 15000);
}

test('the Settings UI offers orchestration.baseUrl only as the user\'s own setting, never the workspace\'s', async () => {
  try {
    await runCommand('Preferences: Open Settings (UI)');
    const editor = page.locator('.settings-editor');
    await editor.waitFor();
    await editor.locator('.settings-header .suggest-input-container .monaco-editor').click();
    await page.keyboard.type('@id:orchestration.baseUrl');
    // code-server is a remote window: VS Code keeps a machine setting in the Remote tab (the
    // user's settings on the machine the extension runs on); a local window shows it under User.
    const remote = await settingsTab('Remote');
    assert.strictEqual(remote.titles.length, 1, `the Remote (user) tab offers it: ${JSON.stringify(remote)}`);
    assert.match(remote.titles[0], /^Orchestration: Base Url/);
    assert.match(await editor.locator('.settings-editor-tree .setting-item').first().innerText(), /User settings only: a workspace .* cannot set it/);
    await shot('42-settings-baseurl-user-remote-tab.png');
    const workspace = await settingsTab('Workspace');
    assert.deepStrictEqual(workspace, { count: 'No Settings Found', titles: [] }, 'the Workspace tab does not offer it');
    await shot('43-settings-baseurl-not-in-workspace-tab.png');
    const local = await settingsTab('User');
    assert.deepStrictEqual(local, { count: 'No Settings Found', titles: [] }, 'nor does the browser side\'s User tab of a remote window');
    stamp(`Settings UI, @id:orchestration.baseUrl: Remote ${remote.count}, Workspace ${workspace.count}, User ${local.count}`);
  } finally {
    // Clean up even after a failure, so the steps after this one see the workbench as before.
    fs.rmSync(path.join(WORKSPACE, '.vscode', 'settings.json'), { force: true });
    // VS Code 1.139 opens Settings in a modal editor, which makes the rest of the workbench (the
    // palette too) inert until it is closed by its own close button.
    await until('Settings editor closed', async () => {
      if (!(await page.locator('.settings-editor').isVisible())) return true;
      const close = page.locator('.modal-editor-action-container .codicon-close, .modal-editor-action-container [aria-label^="Close"]').first();
      if (await close.count()) await close.click({ timeout: 2000 }).catch(() => undefined);
      else await page.keyboard.press('Escape');
      return false;
    }, 15000);
    await runCommand('Orchestration: Clear API Key');
    await page.locator('.statusbar', { hasText: 'Anthropic API key removed' }).waitFor();
    await runCommand('Notifications: Clear All Notifications');
    await recorder?.close();
  }
  assert.deepStrictEqual(recorder.requests, [], 'nothing ever reached the workspace\'s baseUrl');
});

const WALKTHROUGH = 'Run many Claude agents on one task';
const WALKTHROUGH_STEPS = ['Set an API key, or try the simulated provider', 'Describe a task', 'Review and approve the plan',
  'Watch the run on its dashboard', 'Open an agent', 'Change code, then apply it'];

/** The walkthrough's picture as the page shows it: where it came from, its alt text, whether it decoded and shows. */
const walkthroughPicture = () => page.locator('.gettingStartedContainer .getting-started-media img').first()
  .evaluate((img) => ({
    src: decodeURIComponent(img.currentSrc), alt: img.alt, width: img.naturalWidth,
    loaded: img.complete && img.naturalWidth > 0 && img.getBoundingClientRect().width > 100,
  }))
  .catch(() => null);

test('the walkthrough opens from the Welcome page and shows its steps with pictures', async () => {
  // Below about 950 px of editor VS Code leaves a walkthrough's pictures out; the empty Secondary
  // Side Bar of the default layout takes that room at 1600 px.
  if (await page.locator('.part.auxiliarybar').isVisible()) {
    // Its command is named "Hide", "Close" or "Toggle … Visibility" depending on the VS Code release.
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.fill('>Secondary Side Bar');
    const title = await until('a command that hides the Secondary Side Bar', async () =>
      (await pickLabels()).find((l) => /^View: (Hide|Close|Toggle) Secondary Side Bar/.test(l)));
    await page.keyboard.press('Escape');
    await input.waitFor({ state: 'hidden' });
    await runCommand(title);
    await page.locator('.part.auxiliarybar').waitFor({ state: 'hidden' });
  }
  await runCommand('Welcome: Open Walkthrough...');
  const box = page.locator('.quick-input-widget .quick-input-box input');
  await box.waitFor({ state: 'visible' });
  await box.fill(WALKTHROUGH);
  await page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: WALKTHROUGH }).first().waitFor();
  await page.keyboard.press('Enter');
  const container = page.locator('.gettingStartedContainer');
  await container.waitFor();
  // Every step, the build one too: the e2e workspace is a git repository (gitOpenRepositoryCount != 0).
  const titles = await until('the walkthrough\'s steps', async () => {
    const t = (await container.locator('.getting-started-step .step-title').allInnerTexts()).map((x) => x.trim()).filter(Boolean);
    return t.length === WALKTHROUGH_STEPS.length ? t : null;
  });
  assert.deepStrictEqual(titles, WALKTHROUGH_STEPS);
  const first = await until('the first step\'s picture', async () => {
    const p = await walkthroughPicture();
    return p?.loaded && p.src.includes('provider.png') ? p : null;
  });
  assert.match(first.alt, /Orchestrate Task button/, 'the picture carries its alt text');
  // Another step shows its own picture, decoded from the installed extension's media/walkthrough/.
  await until('the dashboard step open', async () => {
    const step = container.locator('.getting-started-step', { has: page.locator('.step-title', { hasText: 'Watch the run on its dashboard' }) });
    if (!((await step.getAttribute('class')) ?? '').includes('expanded')) await step.click({ timeout: 2000 }).catch(() => undefined);
    const p = await walkthroughPicture();
    return p?.loaded && p.src.includes('dashboard.png') ? p : null;
  });
  await shot('44-walkthrough.png');
  stamp(`walkthrough: ${titles.length} steps, first picture ${first.width} px wide`);
  // The Welcome page can take a moment to accept the close: ask again until it is gone.
  await until('the walkthrough closed', async () => {
    await runCommand('View: Close All Editors');
    return container.waitFor({ state: 'hidden', timeout: 5000 }).then(() => true, () => false);
  }, 40000);
});

const BATCH_TASK = 'Rate the comments in every source file';
/** Twice this is how long the simulator's batch takes (the planner and final step take it once). */
const BATCH_LATENCY_MS = 8000;

test('batch mode: a map-reduce waits in a Message Batch the Ledger, status bar and dashboard show; a reload mid-batch collects it and submits nothing again', async () => {
  // orchestration.batch is machine-scoped: code-server reads it from the Remote settings file,
  // which it may miss when written behind its back, so the plan is made again until it batches.
  const machineFile = path.join(path.dirname(process.env.CS_LOGS), 'Machine', 'settings.json');
  const machineBefore = fs.readFileSync(machineFile, 'utf8');
  const workspaceSettings = path.join(WORKSPACE, '.vscode', 'settings.json');
  fs.mkdirSync(path.dirname(workspaceSettings), { recursive: true });
  try {
    fs.writeFileSync(workspaceSettings, JSON.stringify({ 'orchestration.simulatedLatencyMs': BATCH_LATENCY_MS }, null, 2));
    let runId;
    let frame;
    let tries = 0;
    await until('a plan whose mapper goes to a batch', async () => {
      fs.writeFileSync(machineFile, JSON.stringify({ ...JSON.parse(machineBefore), 'orchestration.batch': 'auto' }, null, 2) + ' '.repeat(tries++ % 2));
      await page.waitForTimeout(2000);
      const before = newestRun();
      await orchestrate(BATCH_TASK, 'Map-reduce');
      frame = await webviewFrame('Summary');
      await until('plan', async () => newestRun() !== before && (await frame.locator('#approve').count()) > 0, 90000);
      runId = newestRun();
      // Both settings must have been read: the mapper batched, and the planner slowed by the latency.
      const l = readLedger(runId);
      const planner = l.agents.find((a) => a.role === 'planner');
      const slowed = Date.parse(planner.endedAt) - Date.parse(planner.startedAt) >= BATCH_LATENCY_MS / 2;
      if (l.agents.some((a) => a.batch) && slowed) return true;
      await frame.locator('#decline').click();
      await until('declined', () => readLedger(runId).status === 'declined', 30000);
      return false;
    }, 240000);
    const batched = readLedger(runId).agents.filter((a) => a.batch).map((a) => a.id);
    assert.ok((await frame.locator('#plan-table .batch-mark').count()) >= batched.length, 'the plan table marks each batched agent');
    assert.match(await frame.locator('#batch-note').innerText(), /batch/i);
    await shot('50-batch-plan.png');
    await frame.locator('#approve').click();

    // The Ledger: the mapper waits in the batch, named with its counts, under a still cloud.
    await showOrchestration();
    await expand(ledger().locator('.monaco-list-row[aria-level="1"]').first());
    await expand(ledger().locator('.monaco-list-row[aria-level="2"]', { has: page.locator('.label-name', { hasText: /^Map/ }) }).first());
    const waiting = await until('a mapper waiting in its batch', async () =>
      (await treeRows('.monaco-list-row[aria-level="3"]')).find((r) => batched.includes(r.label) && /^in batch \d+\/\d+ · msgbatch_/.test(r.description)) ?? null, 30000)
      .catch(async (err) => {
        await shot('51-batch-waiting-FAILED.png');
        throw new Error(`${err.message}; rows: ${JSON.stringify(await treeRows('.monaco-list-row'))}`);
      });
    assert.match(waiting.description, /\d+ processing/);
    assert.match(waiting.icon, /codicon-cloud/);
    const status = await page.locator('.statusbar-item', { hasText: /batch \d+\/\d+/ }).first().innerText();
    await shot('51-batch-waiting-in-ledger.png');

    // The dashboard's Batches section names the batch the ledger recorded.
    const dash = await openDashboardOf(runId);
    const row = dash.locator('#batches-section li.batch').first();
    await row.waitFor({ timeout: 30000 });
    const submitted = readLedger(runId).batches;
    assert.strictEqual(submitted.length, 1);
    assert.strictEqual(await row.getAttribute('data-batch-id'), submitted[0].id);
    assert.match(await row.locator('.batch-answered').innerText(), /^\d+\/\d+$/);
    await scrollTo(dash, '#batches-section');
    await shot('52-batch-on-dashboard.png');

    // Close the window while the batch works: the next one collects it.
    const mid = readLedger(runId).batches[0];
    assert.notStrictEqual(mid.status, 'collected', 'the reload comes while the batch is not yet collected');
    await page.evaluate(() => { window.beforeReload = true; });
    await runCommand('Developer: Reload Window');
    await until('the window reloaded', async () => !(await page.evaluate(() => window.beforeReload === true).catch(() => false)), 60000);
    await page.locator('.monaco-workbench .activitybar a[aria-label="Orchestration"]').waitFor({ timeout: 120000 });
    const notice = await until('the notice that the batch is being collected', async () =>
      (await toasts().allInnerTexts()).find((t) => t.includes(`(${runId}) was cut off while 1 Message Batch (${mid.id}) worked`)) ?? null, 90000);
    assert.match(notice, /Collecting their results now; nothing is submitted again/);
    await shot('53-batch-collected-after-reload.png');
    await until('the run completed', () => readLedger(runId).status === 'completed', 120000);
    const done = readLedger(runId);
    assert.strictEqual(done.batches[0].id, mid.id);
    assert.strictEqual(done.batches[0].status, 'collected');
    const times = {};
    for (const b of done.batches) for (const r of b.requests) times[r.agentId] = (times[r.agentId] ?? 0) + 1;
    assert.deepStrictEqual(Object.entries(times).filter(([, n]) => n > 1), [], 'no agent\'s request was submitted twice');
    for (const id of batched) assert.match(fs.readFileSync(path.join(RUNS, runId, done.agents.find((a) => a.id === id).outputFile), 'utf8'), /<!-- DONE -->\s*$/);
    stamp(`batch ${mid.id} of ${runId}: ${mid.status} at the reload (${JSON.stringify(mid.counts)}), collected after it; status bar "${status}"; batched ${batched.join(', ')}`);
  } finally {
    fs.writeFileSync(machineFile, machineBefore);
    fs.writeFileSync(workspaceSettings, JSON.stringify({ 'orchestration.simulatedLatencyMs': 0 }, null, 2));
    await runCommand('Notifications: Clear All Notifications').catch(() => undefined);
  }
});

test('agent mode finds the MCP server: VS Code lists it, and the server it describes starts and lists its tools', async () => {
  // The provider is registered: VS Code's own list of MCP servers names it. The MCP commands come
  // with the AI features, which the other steps keep off (run-e2e.sh's settings): on for this one.
  const settingsFile = path.join(path.dirname(process.env.CS_LOGS), 'User', 'settings.json');
  const settings = JSON.parse(fs.readFileSync(settingsFile, 'utf8'));
  const workspaceSettings = path.join(WORKSPACE, '.vscode', 'settings.json');
  const workspaceBefore = fs.existsSync(workspaceSettings) ? JSON.parse(fs.readFileSync(workspaceSettings, 'utf8')) : null;
  fs.mkdirSync(path.dirname(workspaceSettings), { recursive: true });
  let tries = 0;
  await until('MCP: List Servers in the palette', async () => {
    // Written again now and then: a settings file written while the workbench was busy has been missed.
    if (tries++ % 20 === 0) {
      fs.writeFileSync(settingsFile, JSON.stringify({ ...settings, 'chat.disableAIFeatures': false }, null, 2) + ' '.repeat(tries % 2));
      fs.writeFileSync(workspaceSettings, JSON.stringify({ ...workspaceBefore, 'chat.disableAIFeatures': false }, null, 2));
    }
    // Turning the AI features on can open a modal (a welcome dialog or editor) that makes the rest inert: close it.
    const dialog = page.locator('.monaco-dialog-box .dialog-buttons-row a.monaco-button, .monaco-dialog-box .dialog-close, .modal-editor-action-container .codicon-close').last();
    if (await dialog.isVisible().catch(() => false)) await dialog.click({ timeout: 2000 }).catch(() => undefined);
    await page.keyboard.press('Escape');
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.fill('>MCP: List Servers', { timeout: 3000 });
    const found = await page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'MCP: List Servers' }).count();
    return found > 0;
  }, 90000).catch(async (e) => { await shot('44-mcp-palette-unavailable.png'); throw e; });
  await page.keyboard.press('Enter');
  const row = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'Scaled Agent Orchestration' }).first();
  await row.waitFor({ timeout: 30000 });
  await shot('44-mcp-server-listed.png');
  // VS Code starts it from its own definition (the provider's, resolved with the key): it runs.
  await row.click();
  await page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'Start Server' }).first().click();
  await until('the MCP server running', async () => {
    await page.keyboard.press('Escape');
    await runCommand('MCP: List Servers');
    return page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'Scaled Agent Orchestration' }).first().textContent()
      .then((t) => /Running/.test(t ?? ''));
  }, 60000);
  // Its output channel (VS Code opens it on start) says what VS Code found there.
  await page.locator('.view-lines', { hasText: 'Discovered 10 tools' }).first().waitFor();
  await shot('45-mcp-server-running.png');
  await page.keyboard.press('Escape');
  fs.writeFileSync(settingsFile, JSON.stringify(settings, null, 2));
  if (workspaceBefore) fs.writeFileSync(workspaceSettings, JSON.stringify(workspaceBefore, null, 2));
  else fs.rmSync(workspaceSettings, { force: true });
  // Start it as VS Code would (agent mode needs a signed-in model): the installed extension's
  // bundled CLI under Node, on the workspace, with the simulated provider the settings choose.
  const extensions = path.join(path.dirname(WORKSPACE), 'extensions');
  const installed = fs.readdirSync(extensions).find((d) => d.includes('scaled-agent-orchestration'));
  assert.ok(installed, `the extension is installed in ${extensions}`);
  const cli = path.join(extensions, installed, 'dist', 'cli.js');
  const { Client } = require('@modelcontextprotocol/sdk/client/index.js');
  const { StdioClientTransport } = require('@modelcontextprotocol/sdk/client/stdio.js');
  const client = new Client({ name: 'e2e', version: '1' });
  await client.connect(new StdioClientTransport({
    command: process.execPath, args: [cli, 'mcp', '--workspace', WORKSPACE, '--set', 'provider="simulated"'], env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, stderr: 'ignore',
  }));
  try {
    const tools = (await client.listTools()).tools.map((t) => t.name).sort();
    assert.deepStrictEqual(tools, ['agent_output', 'apply_changes', 'approve_run', 'cancel_run', 'decline_run', 'discard_changes', 'list_runs', 'plan_task', 'run_result', 'run_status']);
    const list = await client.callTool({ name: 'list_runs', arguments: {} });
    assert.match(list.content[0].text, /^\d{8}-\d{6}-[0-9a-f]{4} |^No runs in this workspace yet/m, 'it reads the runs of the workspace');
    stamp(`MCP server from ${installed}: ${tools.length} tools`);
  } finally {
    await client.close();
  }
});

const REVIEW_WORKFLOW = `# A workflow a team keeps in the repository and runs every week with another concern.
name: review-src
description: Review every server module for one concern, then summarise
params:
  concern: { description: What to look for, default: input validation }
stages:
  - id: review
    agent: code-reviewer
    tier: haiku
    each: { files: "src/server/**/*.ts" }
    instructions: Review {{item}} for {{params.concern}}.
  - id: summary
    dependsOn: [review]
    tier: sonnet
    instructions: Summarise the reviews of {{params.concern}}, worst first.
    hooks: [sanity-check]
`;
const BROKEN_WORKFLOW = `name: broken-review
description: A stage that waits for one that does not exist
stages:
  - id: review
    instructions: Review the code.
  - id: summary
    dependsOn: [sumary]
    instructions: Summarise.
`;
const REVIEWER_AGENT = `---
name: code-reviewer
description: Reviews server modules for input validation and error handling
tools: Read, Grep, Bash
model: haiku
---
You are a meticulous code reviewer. Cite file and line for every finding.
`;

test('Run Workflow with a parameter: the run in the Ledger and the dashboard like any run, and a broken workflow shows its error on its node', async () => {
  await page.keyboard.press('Escape');
  await showOrchestration();
  const put = (rel, text) => {
    fs.mkdirSync(path.dirname(path.join(WORKSPACE, rel)), { recursive: true });
    fs.writeFileSync(path.join(WORKSPACE, rel), text);
  };
  put('.claude/agents/code-reviewer.md', REVIEWER_AGENT);
  put('.orchestration/workflows/review-src.yaml', REVIEW_WORKFLOW);
  put('.orchestration/workflows/broken-review.yaml', BROKEN_WORKFLOW);
  // The Ledger lists them below the runs once the files are there, without a reload (a watcher,
  // and a re-read every few seconds for a file the watcher never reported).
  const node = rowByLabel('Workflows');
  await node.waitFor({ timeout: 45000 });
  await expand(node);
  const broken = rowByLabel('broken-review');
  await broken.waitFor();
  const brokenText = await broken.locator('.label-description').textContent();
  assert.match(brokenText, /^broken-review\.yaml:7:\d+ — .*sumary/, `the broken workflow's node names its file, line and problem: ${brokenText}`);
  assert.match(await rowByLabel('review-src').locator('.label-description').textContent(), /Review every server module/);
  await shot('50-workflows-node.png');
  // A click on the broken one opens the file where the problem is.
  await broken.click();
  await page.locator('.tab.active', { hasText: 'broken-review.yaml' }).waitFor();
  await until('cursor on line 7', async () => /Ln 7,/.test(await page.locator('.statusbar-item', { hasText: /Ln \d+, Col \d+/ }).first().textContent().catch(() => '')), 15000);
  stamp(`workflows node: broken-review → ${brokenText}`);

  // Run it from the palette with this week's concern.
  const before = newestRun();
  await runCommand('Orchestration: Run Workflow');
  const box = page.locator('.quick-input-widget .quick-input-box input');
  await until('workflow pick', async () => (await box.getAttribute('placeholder'))?.includes('Which workflow?'));
  await box.fill('review-src');
  await until('review-src row', async () => (await pickLabels())[0]?.includes('review-src'));
  await page.keyboard.press('Enter');
  await until('concern box', async () => ((await page.locator('.quick-input-widget .quick-input-title').textContent().catch(() => '')) ?? '').includes('Run Workflow review-src: concern (1/1)'));
  assert.strictEqual(await box.inputValue(), 'input validation', 'the default is offered');
  await box.fill('error handling');
  await page.keyboard.press('Enter');
  const frame = await webviewFrame('Summary');
  await until('workflow plan', async () => newestRun() !== before && (await frame.locator('#approve').count()) > 0, 60000);
  const runId = newestRun();
  const planned = readLedger(runId);
  assert.match(planned.task, /^Workflow review-src \(concern=error handling\)/);
  const reviewers = planned.agents.filter((a) => a.domain === 'review');
  assert.deepStrictEqual(reviewers.map((a) => a.scope.join(',')).sort(), ['src/server/routes.ts', 'src/server/server.ts'], 'one review agent per matching file');
  assert.ok(reviewers.every((a) => a.agentDefinition === 'code-reviewer'), 'each runs as the code-reviewer definition');
  assert.ok(reviewers.every((a) => (a.agentNotes ?? []).some((n) => /Bash/.test(n))), 'the plan says Bash is not given');
  await shot('51-workflow-plan.png');
  await frame.locator('#approve').click();
  await until('workflow run completed', () => readLedger(runId).status === 'completed', 90000);
  await until('run row completed', async () => (await runRows())[0]?.description.startsWith('completed'));
  const l = readLedger(runId);
  assert.ok(l.agents.some((a) => a.id === 'summary-sanity' && a.status === 'completed'), `the summary's sanity check ran: ${l.agents.map((a) => `${a.id}:${a.status}`).join(', ')}`);
  // The tree shows the run's stages like any pattern's groups.
  const run = ledger().locator('.monaco-list-row[aria-level="1"]').first();
  await expand(run);
  const children = (await treeRows('.monaco-list-row[aria-level="2"]')).map((r) => r.label);
  assert.ok(children.includes('Plan') && children.some((c) => /review/.test(c)) && children.some((c) => /summary/.test(c)), `the run's stages in the tree: ${JSON.stringify(children)}`);
  await shot('52-workflow-run-tree.png');
  // And the dashboard, a lane per stage.
  await page.keyboard.press('Escape');
  const dash = await openDashboardOf(runId).catch(async (e) => { await shot('53-workflow-dashboard-missing.png'); throw e; });
  await until('the timeline', async () => (await dash.locator('#timeline .tl-lane').count()) >= 2, 60000);
  const lanes = await dash.locator('#timeline .tl-lane').count();
  await shot('53-workflow-dashboard.png');
  stamp(`workflow run ${runId}: ${l.agents.length} agents, tree ${JSON.stringify(children)}, ${lanes} dashboard lanes`);
});

test('the Summary webview ran without a single CSP violation', () => {
  assert.deepStrictEqual(cspViolations, []);
});
