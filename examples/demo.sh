#!/usr/bin/env bash
# The copycat demo: a program with a hard-coded configuration path reads our file instead.
set -euo pipefail
copycat=${1:-build/copycat}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A "legacy" program that insists on /etc/legacy-app/app.conf (which does not exist here).
cat > "$work/legacy-app" <<'APP'
#!/usr/bin/env python3
import os
conf = "/etc/legacy-app/app.conf"
with open(conf) as f:
    print(f"legacy-app: read {conf}: {f.read().strip()!r}")
print(f"legacy-app: os.path.exists({conf!r}) = {os.path.exists(conf)}")
APP
chmod +x "$work/legacy-app"
echo 'greeting = "hello from my own config"' > "$work/my.conf"

echo "\$ $work/legacy-app            # unsupervised"
"$work/legacy-app" 2>&1 | tail -n 1 || true
echo
echo "\$ COPYCAT=\"/etc/legacy-app/app.conf $work/my.conf\" copycat -- $work/legacy-app"
COPYCAT="/etc/legacy-app/app.conf $work/my.conf" "$copycat" -- "$work/legacy-app"
echo
echo "\$ sysvisor -r /etc/legacy-app/=$work/ -- cat /etc/legacy-app/my.conf   # a whole directory"
"$(dirname "$copycat")/sysvisor" -r "/etc/legacy-app/=$work/" -- cat /etc/legacy-app/my.conf
