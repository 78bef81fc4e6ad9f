#!/usr/bin/env bash
# Fetches Mesa 25's lavapipe (a CPU Vulkan driver) and the Vulkan loader into a folder, without
# installing them system-wide, so that Dawn (npm `webgpu`) runs WebGPU on a machine with no GPU.
# Debian 12's own Mesa 22 is rejected by Dawn; bookworm-backports has Mesa 25.
# Usage: source .ci/lavapipe.sh [folder]   (exports LD_LIBRARY_PATH and VK_ICD_FILENAMES)
# The default folder is inside the clone (git-ignored), not a shared temporary path that another
# user could have filled first.
lavapipe_dir="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.cache/lavapipe}"
# The Debian mirror this machine's apt already uses for bookworm (a proxy or a local mirror behind a
# firewall included), with the backports suite added; deb.debian.org only where none is configured.
lavapipe_mirror() {
  local uri
  uri=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 2>/dev/null | awk '$2 == "bookworm" { print $1; exit }')
  echo "${uri:-http://deb.debian.org/debian/}"
}
lavapipe_setup() {
  local dir="$1"
  mkdir -p "$dir/apt/lists/partial" "$dir/apt/archives/partial" "$dir/debs" "$dir/root"
  cat > "$dir/backports.sources" <<SOURCES
Types: deb
URIs: $(lavapipe_mirror)
Suites: bookworm bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
  local opts=(-o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$dir/none" -o "Dir::Etc::sourcelist=$dir/backports.sources"
    -o "Dir::State=$dir/apt" -o "Dir::Cache=$dir/apt" -o "Debug::NoLocking=1")
  apt-get "${opts[@]}" update -qq >/dev/null &&
    (cd "$dir/debs" && apt-get "${opts[@]}" download -qq libvulkan1 && apt-get "${opts[@]}" download -qq -t bookworm-backports mesa-vulkan-drivers libdrm2 libdrm-amdgpu1) >/dev/null 2>&1 &&
    for deb in "$dir"/debs/*.deb; do dpkg -x "$deb" "$dir/root"; done &&
    printf '{"ICD": {"api_version": "1.4.305", "library_path": "%s"}, "file_format_version": "1.0.0"}\n' "$dir/root/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so" > "$dir/lvp_icd.json"
}
if [ -f "$lavapipe_dir/lvp_icd.json" ] || lavapipe_setup "$lavapipe_dir"; then
  export LD_LIBRARY_PATH="$lavapipe_dir/root/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export VK_ICD_FILENAMES="$lavapipe_dir/lvp_icd.json"
else
  echo "lavapipe could not be fetched: the WebGPU tests will say so and skip"
fi
