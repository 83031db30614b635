# Shared helpers for Scripts/*: sourced, not run.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export ROOT

log() { printf '==> %s\n' "$*" >&2; }

# A free TCP port on 127.0.0.1, chosen by the kernel.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# podman as this machine runs it (Debian 12's podman 4.3: runc, as crun fails on the kernel's hybrid
# cgroups; cgroupfs; events in a file), with its storage under DIR so nothing is left behind.
# PODMAN_STORAGE_DRIVER: overlay by default (kernel overlayfs, as root), vfs where it is missing.
podman_in() {
    local dir=$1
    shift
    podman --root "$dir/storage" --runroot "$dir/run" --storage-driver "${PODMAN_STORAGE_DRIVER:-overlay}" \
        --cgroup-manager cgroupfs --events-backend file --runtime runc "$@"
}
