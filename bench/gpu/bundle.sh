#!/usr/bin/env bash
# `npm run gpu:bundle`: packs what the GPU machine needs into gpu-carry/ (git-ignored; the device
# tool's `carry`): it has no Node.js and reaches no registry. Contents: the node binary (xz), the
# esbuilt program (bench/gpu/resnet50-webgpu.ts with tfjs and the WebGPU backend), dawn.node (xz),
# @stdlib's random generator (required at run time), the Vulkan loader libvulkan.so.1 (Debian's libvulkan1), glvnd's libraries as Debian packages (the
# NVIDIA Vulkan driver needs libGLdispatch, which the GPU machine lacks), SIGNS, and run.sh. Limit: 64 MiB.
set -euo pipefail
cd "$(dirname "$0")/../.."
carry=gpu-carry
rm -rf "$carry" && mkdir -p "$carry/dist/linux-x64" "$carry/datasets/signs/jpeg64" "$carry/gl" "$carry/node_modules/@stdlib"
npx esbuild bench/gpu/resnet50-webgpu.ts --bundle --platform=node --format=esm --target=node20 --outfile="$carry/run.mjs" --log-level=warning \
  --banner:js="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" \
  --external:@tensorflow/tfjs-node --external:@tensorflow/tfjs-node-gpu
xz -9 -c node_modules/webgpu/dist/linux-x64/dawn.node > "$carry/dist/linux-x64/dawn.node.xz"
# src/rng/random-state.ts requires @stdlib's generator at first use, from beside the program.
npx esbuild node_modules/@stdlib/random-base-mt19937/lib/index.js --bundle --platform=node --format=cjs --target=node20 --log-level=warning \
  --outfile="$carry/node_modules/@stdlib/random-base-mt19937/index.js"
xz -9 -T0 -c "$(command -v node)" > "$carry/node.xz"
# The Vulkan loader: from the system, or fetched with lavapipe (.ci/lavapipe.sh).
loader="$(ldconfig -p | awk '/libvulkan.so.1 / {print $NF; exit}')"
if [ -z "$loader" ]; then source .ci/lavapipe.sh >/dev/null; loader="${VK_ICD_FILENAMES%/*}/root/usr/lib/x86_64-linux-gnu/libvulkan.so.1"; fi
cp -L "$loader" "$carry/libvulkan.so.1"
(cd "$carry/gl" && apt-get download -qq libglvnd0 libegl1 libgl1 libglx0 libopengl0 libgles2 2>/dev/null)
signs="${LABGRADE_DATA:-${LABGRADE_SHARED:-../shared}/datasets}/signs"
cp "$signs/test_signs.h5" "$carry/datasets/signs/"
cp -r "$signs/jpeg64/train_signs" "$signs/jpeg64/val_signs" "$carry/datasets/signs/jpeg64/"
cp bench/gpu/run.sh bench/pytorch/resnet50_torch.py bench/pytorch/course_models.py "$carry/"
du -sh "$carry"
