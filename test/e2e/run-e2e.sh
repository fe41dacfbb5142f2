#!/usr/bin/env bash
# End-to-end: package the extension, install the .vsix into a fresh code-server profile, open a
# copy of test/e2e/workspace, and drive it from Chromium with playwright-core (orchestration.e2e.js;
# not *.test.js, so vitest leaves it alone).
# Needs `bash test/e2e/setup.sh` first (same E2E_ROOT). Artifacts (screenshots, logs, the run
# folders, the .vsix) go to $E2E_ARTIFACTS (default test-artifacts/e2e).
# The simulated provider answers in ~1 ms; the cancel test slows it with the workspace setting
# orchestration.simulatedLatencyMs.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
ROOT=${E2E_ROOT:-${TMPDIR:-/tmp}/vscode-e2e}
PORT=${PORT:-8766}
OUT=${E2E_ARTIFACTS:-$REPO/test-artifacts/e2e}
[ -f "$ROOT/env.sh" ] || { echo "no $ROOT/env.sh: run E2E_ROOT=$ROOT bash test/e2e/setup.sh first" >&2; exit 2; }
. "$ROOT/env.sh"

# A fresh profile, extensions dir and workspace per run, so no state leaks between runs.
mkdir -p "$ROOT/tmp"
STATE=$(mktemp -d "$ROOT/tmp/orch-e2e.XXXXXX")
export XDG_CONFIG_HOME=$STATE/config XDG_DATA_HOME=$STATE/data XDG_CACHE_HOME=$STATE/cache
USER_DATA=$STATE/user-data
EXT_DIR=$STATE/extensions
WS=$STATE/workspace
rm -rf "$OUT" && mkdir -p "$OUT/shots" "$USER_DATA/User" "$EXT_DIR" "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_CACHE_HOME"
cp -r "$HERE/workspace" "$WS"
# A git repository with one commit: the build pattern works on branches of it.
git -C "$WS" init -q && git -C "$WS" add -A \
  && git -C "$WS" -c user.name=E2E -c user.email=e2e@example.invalid -c commit.gpgsign=false commit -qm "e2e workspace"

# 1. Package exactly what users install.
VSIX=$OUT/orchestration.vsix
( cd "$REPO" && npm run build --silent && "$ROOT/tools/node_modules/.bin/vsce" package --no-dependencies --allow-missing-repository -o "$VSIX" ) >"$OUT/vsce.log" 2>&1 \
  || { cat "$OUT/vsce.log"; exit 1; }
unzip -l "$VSIX" | tail -1 | awk -v s="$(stat -c %s "$VSIX")" '{ print "vsix: " s " bytes, " $2 " files" }' | tee "$OUT/vsix.txt"
code-server --user-data-dir "$USER_DATA" --extensions-dir "$EXT_DIR" --install-extension "$VSIX" --force >"$OUT/install.log" 2>&1 \
  || { cat "$OUT/install.log"; exit 1; }

# 2. User settings: no trust prompt or tips, and the offline simulated provider.
mkdir -p "$USER_DATA/Machine"
cat > "$USER_DATA/User/settings.json" <<'JSON'
{
  "security.workspace.trust.enabled": false,
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "telemetry.telemetryLevel": "off",
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "update.mode": "none",
  "chat.disableAIFeatures": true,
  "workbench.enableExperiments": false,
  "orchestration.simulatedLatencyMs": 0
}
JSON
# The extension's machine-scoped settings (provider, baseUrl, …): code-server is a remote window, and
# there VS Code applies a machine setting only from the Remote settings (Machine/settings.json),
# never from the browser side's User/settings.json ("cannot be applied in this window").
cat > "$USER_DATA/Machine/settings.json" <<'JSON'
{
  "orchestration.provider": "simulated"
}
JSON

# A code-server left on the port by an earlier run would answer the health check below and be
# driven instead, with its own (older) extension: refuse.
if curl -fs -o /dev/null "http://127.0.0.1:$PORT/healthz"; then
  echo "port $PORT already serves a code-server (a stale run?): stop it or set PORT" >&2; exit 2
fi

# 3. code-server in its own process group (setsid), killed as a group: it forks watchers and the extension host.
setsid code-server --bind-addr 127.0.0.1:$PORT --auth none --disable-telemetry --disable-update-check \
  --disable-workspace-trust --user-data-dir "$USER_DATA" --extensions-dir "$EXT_DIR" "$WS" \
  >"$OUT/code-server.log" 2>&1 &
CS_PID=$!
cleanup() {
  kill -- -$CS_PID 2>/dev/null || true
  wait $CS_PID 2>/dev/null || true
  [ -d "$WS/.orchestration" ] && cp -r "$WS/.orchestration" "$OUT/runs" || true
  find "$USER_DATA/logs" -name '*Orchestration*' -exec cp {} "$OUT/" \; 2>/dev/null || true
  [ -n "${KEEP_STATE:-}" ] || rm -rf "$STATE"
}
trap cleanup EXIT
for _ in $(seq 1 300); do
  curl -fs -o /dev/null "http://127.0.0.1:$PORT/healthz" && break
  kill -0 $CS_PID 2>/dev/null || { cat "$OUT/code-server.log"; exit 1; }
  sleep 0.1
done
echo "code-server up on :$PORT (pid $CS_PID)"

CS_URL=http://127.0.0.1:$PORT WORKSPACE=$WS SHOTS=$OUT/shots CS_LOGS=$USER_DATA/logs \
  PLAYWRIGHT_CORE=$ROOT/tools/node_modules/playwright-core \
  node --test --test-reporter=spec ${E2E_NAME_PATTERN:+--test-name-pattern="$E2E_NAME_PATTERN"} "${E2E_TEST:-$HERE/orchestration.e2e.js}"
