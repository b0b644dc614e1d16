# assessor doctor's host side, run as `sh -s -- PYTHON BECOME_USER` over one ssh session.
# POSIX sh and coreutils only: it must report a host that has no python3. Every line is
# key=value; `done=1` comes last, so a reply cut short is told from a host lacking something.
# Lock holders come from /proc/locks (dpkg and apt take fcntl locks, which flock cannot see).
py=$1; bu=$2
echo "now=$(date +%s)"
if command -v "$py" >/dev/null 2>&1; then
  echo "python=$(command -v "$py")"
  echo "python_version=$("$py" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])' 2>&1 | head -n 1)"
else
  echo "python="
fi
if [ "$(id -u)" = 0 ] && [ "$bu" = root ]; then
  echo "sudo=root"
elif ! command -v sudo >/dev/null 2>&1; then
  echo "sudo=missing"
else
  msg=$(sudo -n -u "$bu" true 2>&1 </dev/null); rc=$?
  echo "sudo=$rc"
  echo "sudo_msg=$(printf '%s' "$msg" | head -n 1)"
fi
echo "user=$(id -un)"
for d in /tmp /var; do
  echo "free_kb$(echo "$d" | tr / _)=$(df -Pk "$d" 2>/dev/null | awk 'NR==2 {print $4}')"
done
for f in /var/lib/dpkg/lock-frontend /var/lib/dpkg/lock \
    /var/lib/apt/lists/lock /var/cache/apt/archives/lock; do
  [ -e "$f" ] || continue
  ino=$(stat -c %i "$f" 2>/dev/null) || continue
  pid=$(awk -v want=":$ino" '{for (k = 2; k <= NF; k++) if (substr($k, length($k) - length(want) + 1) == want) {print $(k - 1); exit}}' /proc/locks 2>/dev/null)
  if [ -n "$pid" ]; then
    echo "lock=$f $pid $(cat /proc/"$pid"/comm 2>/dev/null)"
  fi
done
echo "done=1"
