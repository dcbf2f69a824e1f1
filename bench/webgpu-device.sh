#!/usr/bin/env bash
# On the GPU machine, from the repository root: bash .device/run.sh [webgpu-device.mjs run options…]
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=/tmp/strotss-device
mkdir -p "$work/data"
decompress() { xz -dc "$1" 2>/dev/null || python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), sys.stdout.buffer)' "$1"; }
[ -x "$work/node" ] || { decompress "$here/node.xz" > "$work/node" && chmod +x "$work/node"; }
if [ ! -d "$work/node_modules/webgpu" ]; then
  mkdir -p "$work/node_modules" && cp -r "$here/node_modules/webgpu" "$work/node_modules/"
  decompress "$here/node_modules/webgpu/dist/linux-x64/dawn.node.xz" > "$work/node_modules/webgpu/dist/linux-x64/dawn.node"
fi
cp "$here/webgpu-device.mjs" "$work/"
for p in payload-a payload-b payload-data; do
  [ -f "$here/$p.tar.xz" ] && { decompress "$here/$p.tar.xz" | tar -C "$work/data" -xf - || echo "unpacking $p failed"; }
done
# The Vulkan loader for the NVIDIA ICD: Debian's debs in .gl/ when the machine has none
# (here: mkdir .gl && cd .gl && apt-get download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2).
if ! ldconfig -p | grep -q libvulkan.so.1; then
  for f in "$here"/../.gl/*.deb; do [ -f "$f" ] && dpkg -x "$f" /; done; ldconfig
fi
if ! ls /usr/share/vulkan/icd.d/*nvidia* /etc/vulkan/icd.d/*nvidia* >/dev/null 2>&1; then
  [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
fi
export __EGL_VENDOR_LIBRARY_FILENAMES=${__EGL_VENDOR_LIBRARY_FILENAMES:-/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json}
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
echo "node $("$work/node" --version); VK_DRIVER_FILES=${VK_DRIVER_FILES:-default}; data: $(ls "$work/data" | tr '\n' ' ')"
cd "$work" && exec ./node --expose-gc webgpu-device.mjs run --data "$work/data" --out "${OUT:-$work/out}" "$@"
