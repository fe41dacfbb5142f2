/**
 * The layers of DESIGN §2, checked by `npm run deps` (part of `npm test`). Each rule says why it
 * exists; a rule that fails names the import that breaks it. `npx depcruise src webview
 * --config .dependency-cruiser.cjs --output-type text` lists every dependency when one is unclear.
 *
 * The engine's folders form one stack, each importing only folders below it (lowest first):
 * redact, model, trust, transcripts, tools, git, ledger, plan, run, memory, patterns (the
 * contract, the registry, the planner and one folder per pattern), execution (the Run that
 * drives a pattern's graph), findings, commands. The files at src/engine/ itself are two layers:
 * a base every folder may import (types, config, files, …; config reads one pure helper,
 * tools/glob) and the composition on top (index, orchestrator) that imports the folders.
 */

/** The root modules every engine folder may import: shared types, settings and file helpers. */
const ENGINE_BASE = [
  'types', 'config', 'files', 'paths', 'text', 'prompts', 'pipelineFiles',
].join('|');

/** 'vscode' as the extension host provides it; at build time it resolves to its type package. */
const VSCODE = ['^vscode$', '(^|/)node_modules/@types/vscode/'];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-engine-folder-cycle',
      comment:
        'Engine folders depend one way (DESIGN §2): a folder that imports another and is imported by it ' +
        'cannot be read, tested or changed on its own. Move the shared type, constant or pure helper ' +
        'down to the lower folder instead of importing upward.',
      severity: 'error',
      scope: 'folder',
      from: { path: '^src/engine/' },
      to: { path: '^src/engine/', circular: true },
    },
    {
      name: 'no-module-cycle',
      comment:
        'A cycle between modules makes import order matter (a class used before its module ran). ' +
        'Type-only imports vanish when compiled, so they cannot; the folder rule counts them.',
      severity: 'error',
      from: { path: '^(src|webview)/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'engine-folders-import-only-the-root-base',
      comment:
        'The folder-level cycle check sees src/engine/ as one folder containing all the others, so ' +
        'a cycle through a root module would go unnoticed: folders may import only the base modules ' +
        'of the root, never its composition (index, orchestrator).',
      severity: 'error',
      from: { path: '^src/engine/[^/]+/' },
      to: { path: '^src/engine/[^/]+\\.ts$', pathNot: `^src/engine/(${ENGINE_BASE})\\.ts$` },
    },
    {
      name: 'engine-is-headless',
      comment:
        'The engine runs the same under VS Code, the CLI and the tests (DESIGN §2): it never imports ' +
        'vscode, a front end, the webview or the simulator (the front ends choose the simulator and hand it in).',
      severity: 'error',
      from: { path: '^src/engine/' },
      to: { path: [...VSCODE, '^src/(vscode|cli|simulator|mcp)/', '^src/(cli|extension|providers)\\.ts$', '^webview/'] },
    },
    {
      name: 'one-sdk-importer',
      comment:
        'The model client interface (engine/model/client.ts) is what the engine runs on; only its ' +
        'Anthropic implementation knows the SDK, so a provider or a test fake replaces one file.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/engine/model/anthropic\\.ts$' },
      to: { path: '(^|/)node_modules/@anthropic-ai/sdk/' },
    },
    {
      name: 'toolkit-only-in-webview',
      comment: 'The webview UI toolkit is DOM code: the extension host bundle must not pull it in.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '(^|/)node_modules/@vscode/webview-ui-toolkit/' },
    },
    {
      name: 'webview-only-shared',
      comment:
        'The webview runs in the browser sandbox with its own bundle: it knows the host only through ' +
        'the message protocol in src/shared, never the engine or the VS Code glue.',
      severity: 'error',
      from: { path: '^webview/' },
      to: { path: ['^src/', ...VSCODE], pathNot: '^src/shared/' },
    },
    {
      name: 'shared-imports-no-app-code',
      comment:
        'src/shared is bundled into both the extension host and the webview, so it can depend on ' +
        'neither side: only on itself and on libraries that run in both.',
      severity: 'error',
      from: { path: '^src/shared/' },
      to: { path: ['^src/', '^webview/', ...VSCODE], pathNot: '^src/shared/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count: a cycle of types is still two folders that cannot be read apart.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
