# Shared by backup.sh and restore.sh (sourced from the directory they are installed in).

# The script's header comment, as its -h help.
usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2
  exit 2
}

die() {
  echo "${0##*/}: $*" >&2
  exit 1
}

# ykien's SQLAlchemy URL as libpq understands it: no "+driver", asyncpg's ssl= as sslmode=.
libpq_url() {
  local url=$1
  if [[ $url =~ ^postgres(ql)?\+[A-Za-z0-9_]+:// ]]; then
    url="postgresql://${url#*://}"
  fi
  if [[ $url == *://*\?* ]]; then
    local base=${url%%\?*} query=${url#*\?}
    query=$(printf '%s' "$query" | sed -E 's/(^|&)ssl=/\1sslmode=/g')
    url="$base?$query"
  fi
  printf '%s\n' "$url"
}
