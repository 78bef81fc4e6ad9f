#!/usr/bin/env bash
# On the GPU machine, from the repository root: bash gpu-carry/run.sh [--epochs 50] [--subset n]
# Unpacks node and dawn.node, prints the Vulkan adapter, and runs the ResNet50 WebGPU benchmark;
# results in $OUT/gpu-bench.json (or gpu-out/).
set -euo pipefail
carry="$(cd "$(dirname "$0")" && pwd)"
[ -x "$carry/node" ] || { xz -d -k -c "$carry/node.xz" > "$carry/node"; chmod +x "$carry/node"; }
[ -f "$carry/dist/linux-x64/dawn.node" ] || xz -d -k "$carry/dist/linux-x64/dawn.node.xz"
export LD_LIBRARY_PATH="$carry${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo "no nvidia-smi"
ls /usr/share/vulkan/icd.d/ /etc/vulkan/icd.d/ 2>/dev/null || true
"$carry/node" --version
exec "$carry/node" "$carry/run.mjs" --data "$carry/datasets" --out "${OUT:-gpu-out}" "$@"
