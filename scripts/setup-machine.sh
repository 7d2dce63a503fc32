#!/usr/bin/env bash
# What a fresh Debian machine (Node >= 20 and npm present) needs before `pnpm install`:
# pnpm 12.4.2, Debian's Chromium (browser tests), Vulkan drivers (WebGPU tests) and PyTorch
# (checkpoint interop test). Each is installed only when missing.
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

# Debian packages, each only when missing, in one apt run:
# - chromium: the browser suites (conformance page, demo, docs, pack test);
# - libvulkan1 + mesa-vulkan-drivers: the WebGPU backend's tests. Dawn (npm `webgpu`, Node) loads
#   libvulkan.so.1 and runs on Chromium's SwiftShader ICD; Deno's wgpu runs on lavapipe;
# - python3-torch (PyTorch 1.13.1): the safetensors interop test, which requires it when CI=true
#   (measured here: ~1.5 s to download its ~170 packages, 28 s to install them).
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1' || [ ! -e /usr/share/vulkan/icd.d/lvp_icd.x86_64.json ]; then
  missing+=(libvulkan1 mesa-vulkan-drivers)
fi
/usr/bin/python3 -c 'import torch' >/dev/null 2>&1 || missing+=(python3-torch)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup-machine: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update
  as_root apt-get install -y --no-install-recommends "${missing[@]}"
fi

echo "setup-machine: node $(node --version), pnpm $(pnpm --version), $(chromium --version 2>/dev/null || echo 'chromium ?')"
