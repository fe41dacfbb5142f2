// Bundles the CLI, the extension host code, the benchmark (all Node, CommonJS) and the webview
// (browser, IIFE). `--watch` rebuilds on change and prints errors in a problem-matcher friendly form.
import * as esbuild from 'esbuild';
import { chmodSync, existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

/** Prints "[watch] build started/finished" lines that VS Code's esbuild problem matcher understands. */
const problemMatcher = {
  name: 'problem-matcher',
  setup(build) {
    build.onStart(() => console.log('[watch] build started'));
    build.onEnd((result) => {
      for (const { text, location } of result.errors) {
        console.error(`✘ [ERROR] ${text}`);
        if (location) console.error(`    ${location.file}:${location.line}:${location.column}:`);
      }
      console.log('[watch] build finished');
    });
  },
};

/**
 * Fails the build when a Node bundle holds a character outside printable ASCII. V8 keeps a
 * script's source for as long as its functions live, and stores all of it at two bytes per
 * character if one character is outside Latin-1: an em dash in one regular expression (which
 * esbuild leaves unescaped) doubled the memory the bundle's text takes in the extension host.
 * Write such characters in regular expressions as \u escapes.
 */
const asciiOnly = {
  name: 'ascii-only',
  setup(build) {
    build.onEnd(async (result) => {
      if (result.errors.length || !build.initialOptions.outfile) return;
      let text = await readFile(build.initialOptions.outfile, 'utf8');
      // esbuild prints ASCII control characters in string literals raw (the yaml package's '\x02'
      // markers); they are only ever inside literals, where the \x escape means the same character.
      // eslint-disable-next-line no-control-regex -- matching control characters is the point
      const control = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g;
      if (control.test(text)) {
        text = text.replace(control, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
        await writeFile(build.initialOptions.outfile, text);
      }
      const at = text.search(/[^\t\n\r\x20-\x7e]/);
      if (at < 0) return;
      const line = text.slice(0, at).split('\n').length;
      throw new Error(`${build.initialOptions.outfile}:${line} holds a character outside printable ASCII: ...${text.slice(Math.max(0, at - 60), at + 10)}... (write it as a \\u escape)`);
    });
  },
};

/**
 * Leaves node-forge out of the Node bundles. secretlint's recommended preset loads it lazily, only
 * to open a `.p12` file its GCP rule is given by path; the engine's redaction never gives a rule a
 * path (src/engine/redact/rules.ts), so that import never runs. Stubbed, it would throw into the
 * rule's own catch. Bundled, it was 870 kB per bundle and broke the ASCII-only check.
 */
const noForge = {
  name: 'no-node-forge',
  setup(build) {
    build.onResolve({ filter: /^\.\/index-[\w-]+\.js$/ }, (args) => (
      args.kind === 'dynamic-import' && /secretlint-rule-preset-recommend[\\/]module[\\/]/.test(args.importer)
        ? { path: args.path, namespace: 'no-node-forge' }
        : undefined));
    build.onLoad({ filter: /.*/, namespace: 'no-node-forge' }, () => ({
      contents: 'throw new Error("node-forge is not bundled: the redaction never asks secretlint to open a .p12 file");',
      loader: 'js',
    }));
  },
};

const node = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  // Comments go in every build (names stay unless --production): they are what kept the bundles
  // from being ASCII-only, and half of their size. The source map points back at the sources.
  minifyWhitespace: true,
  minify: production,
  // Licence notices of bundled packages go to <bundle>.LEGAL.txt beside it, not into the script.
  legalComments: 'external',
  external: ['vscode'],
  // zod probes `navigator` at load; VS Code 1.139's extension host logs a migration error for it.
  define: { navigator: 'undefined' },
  logLevel: 'warning',
  plugins: watch ? [problemMatcher, noForge, asciiOnly] : [noForge, asciiOnly],
};

// package.json's bin: npx runs dist/cli.js itself, so a fresh clone's build must leave it executable
// (esbuild writes 0644, and npm links no bin for the project it is run in).
const executable = {
  name: 'executable',
  setup(build) {
    build.onEnd((result) => { if (result.errors.length === 0) chmodSync(build.initialOptions.outfile, 0o755); });
  },
};

const builds = [
  { ...node, entryPoints: ['src/cli.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' }, plugins: [...node.plugins, executable] },
];
if (existsSync('src/extension.ts')) builds.push({ ...node, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js' });
if (existsSync('test/bench/bench.ts')) builds.push({ ...node, entryPoints: ['test/bench/bench.ts'], outfile: 'dist/bench.js' });
// The webviews: the Summary view (webview.js) and one bundle per editor panel.
const webviews = [
  ['webview/main.ts', 'dist/webview.js'],
  ['webview/agent/main.ts', 'dist/agent.js'],
  ['webview/dashboard/main.ts', 'dist/dashboard.js'],
  ['webview/plan/main.ts', 'dist/plan.js'],
];
for (const [entry, outfile] of webviews.filter(([entry]) => existsSync(entry))) {
  builds.push({
    bundle: true, platform: 'browser', target: 'es2022', format: 'iife', sourcemap: !production, minify: production,
    entryPoints: [entry], outfile, logLevel: 'warning', plugins: watch ? [problemMatcher] : [],
    // micromark's browser build decodes `&name;` references by assigning them to innerHTML; the
    // table-based build keeps model text away from any HTML parser (costs ~35 kB minified).
    alias: { 'decode-named-character-reference': createRequire(import.meta.url).resolve('decode-named-character-reference') },
  });
}

if (watch) {
  for (const b of builds) (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
