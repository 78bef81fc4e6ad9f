#!/usr/bin/env bash
# On the GPU machine, from the repository root: bash gpu-carry/run.sh [--epochs 50] [--subset n]
# Unpacks node and dawn.node, prints the Vulkan adapter, runs the PyTorch anchor (where python3 has
# torch) and the ResNet50 WebGPU benchmark; results in $OUT/torch-bench.json and $OUT/gpu-bench.json
# (or gpu-out/). TORCH_EPOCHS=0 skips the anchor.
set -euo pipefail
carry="$(cd "$(dirname "$0")" && pwd)"
out="${OUT:-gpu-out}"
[ -x "$carry/node" ] || { xz -d -k -c "$carry/node.xz" > "$carry/node"; chmod +x "$carry/node"; }
[ -f "$carry/dist/linux-x64/dawn.node" ] || xz -d -k "$carry/dist/linux-x64/dawn.node.xz"
export LD_LIBRARY_PATH="$carry${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo "no nvidia-smi"
# The NVIDIA Vulkan driver (libGLX_nvidia) needs glvnd, which the machine may lack.
ldconfig -p | grep -q libGLdispatch.so.0 || { for f in "$carry"/gl/*.deb; do dpkg -x "$f" /; done; ldconfig; }
# The NVIDIA Vulkan driver's manifest: the loader's default folders, else the driver's own mount.
icds="$(ls /usr/share/vulkan/icd.d/ /etc/vulkan/icd.d/ 2>/dev/null | grep -i nvidia || true)"
mounted=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "$icds" ] && [ -f "$mounted" ]; then export VK_DRIVER_FILES="$mounted" VK_ICD_FILENAMES="$mounted"; fi
echo "vulkan drivers: ${icds:-${VK_DRIVER_FILES:-none found}}"
"$carry/node" --version
if [ "${TORCH_EPOCHS:-4}" != 0 ] && python3 -c 'import torch' 2>/dev/null; then
  python3 "$carry/resnet50_torch.py" --epochs "${TORCH_EPOCHS:-4}" --out "$out" || echo "torch anchor failed"
fi
exec "$carry/node" "$carry/run.mjs" --data "$carry/datasets" --out "$out" "$@"
