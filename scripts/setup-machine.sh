#!/usr/bin/env bash
# What a fresh Debian machine (Node >= 20 and npm present) needs before `pnpm install`:
# pnpm 12.4.2, Debian's Chromium for the browser tests, and Vulkan drivers for the WebGPU tests. Each is installed only when missing.
set -Eeuo pipefail

PNPM_VERSION=12.4.2
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
  echo "setup-machine: Node >= 20 is required, found $(node --version)" >&2
  exit 1
fi

if [ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  echo "setup-machine: installing pnpm $PNPM_VERSION"
  npm install -g "pnpm@$PNPM_VERSION"
fi

if ! command -v chromium >/dev/null 2>&1; then
  echo "setup-machine: installing Debian's chromium"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update
  as_root apt-get install -y --no-install-recommends chromium
fi

# The Vulkan loader and Mesa's lavapipe for the WebGPU backend's tests: Dawn (npm `webgpu`, Node)
# loads libvulkan.so.1 and runs on Chromium's SwiftShader ICD; Deno's wgpu runs on lavapipe.
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1' || [ ! -e /usr/share/vulkan/icd.d/lvp_icd.x86_64.json ]; then
  echo "setup-machine: installing libvulkan1 and mesa-vulkan-drivers"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update
  as_root apt-get install -y --no-install-recommends libvulkan1 mesa-vulkan-drivers
fi

# PyTorch 1.13.1 for the safetensors interop test (packages/nn/test/safetensors-interop.test.ts,
# which requires it when CI=true). Measured here: about 1.5 s to download its ~170 packages
# (144 MB) and 28 s to install them.
if ! /usr/bin/python3 -c 'import torch' >/dev/null 2>&1; then
  echo "setup-machine: installing Debian's python3-torch"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update
  as_root apt-get install -y --no-install-recommends python3-torch
fi

echo "setup-machine: node $(node --version), pnpm $(pnpm --version), $(chromium --version 2>/dev/null || echo 'chromium ?')"
