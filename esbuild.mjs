// Bundles the CLI, the extension host code, the benchmark (all Node, CommonJS) and the webview
// (browser, IIFE). `--watch` rebuilds on change and prints errors in a problem-matcher friendly form.
import * as esbuild from 'esbuild';
import { existsSync } from 'node:fs';
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

const node = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  external: ['vscode'],
  // zod probes `navigator` at load; VS Code 1.139's extension host logs a migration error for it.
  define: { navigator: 'undefined' },
  logLevel: 'warning',
  plugins: watch ? [problemMatcher] : [],
};

const builds = [
  { ...node, entryPoints: ['src/cli.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
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
