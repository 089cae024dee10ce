#!/usr/bin/env bash
# Back up ykien: the PostgreSQL database (pg_dump custom format) and the data directory
# (report files), into dated files; then delete this script's backups older than N days.
#
# Usage: backup.sh [-d DATABASE] [-D DATA_DIR] [-o BACKUP_DIR] [-k KEEP_DAYS]
#
#   -d  the database: ykien's URL (postgresql+asyncpg://ykien@db-host/ykien), a libpq URL
#       (postgresql://...) or a database name; "-" skips it (e.g. a second host's backup).
#       Default: $YKIEN_DATABASE_URL
#   -D  the data directory; "-" skips it. Default: $YKIEN_DATA_DIR, else /var/lib/ykien
#   -o  where the backups go. Default: $YKIEN_BACKUP_DIR, else /var/backups/ykien
#   -k  delete this script's backups older than this many days. Default:
#       $YKIEN_BACKUP_KEEP_DAYS, else 14
#
# Passwords: keep them out of the URL (it shows in `ps` while pg_dump runs); use ~/.pgpass or
# PGPASSWORD. Other libpq variables (PGHOST, PGSSLMODE...) apply as usual.
# Prints the files written, one per line: "database<TAB>PATH" and "data<TAB>PATH".
# The files hold personal data: they are created mode 0600 (umask 077).
set -euo pipefail
umask 077

# usage, die, libpq_url
. "$(dirname "$(readlink -f "$0")")/common.sh"

database=${YKIEN_DATABASE_URL:-}
data_dir=${YKIEN_DATA_DIR:-/var/lib/ykien}
backup_dir=${YKIEN_BACKUP_DIR:-/var/backups/ykien}
keep_days=${YKIEN_BACKUP_KEEP_DAYS:-14}

while getopts ':d:D:o:k:h' opt; do
  case $opt in
    d) database=$OPTARG ;;
    D) data_dir=$OPTARG ;;
    o) backup_dir=$OPTARG ;;
    k) keep_days=$OPTARG ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))
[[ $# -eq 0 ]] || usage

[[ -n $database ]] || die "no database: pass -d (or -d - to skip it) or set YKIEN_DATABASE_URL"
[[ $keep_days =~ ^[0-9]+$ ]] || die "keep days must be a whole number, not '$keep_days'"
[[ $database == "-" && ( -z $data_dir || $data_dir == "-" ) ]] && die "nothing to back up"
if [[ $database != "-" ]]; then
  [[ $database == sqlite* ]] && die "SQLite is not backed up by this script: stop ykien and" \
    "copy the .sqlite3 file (or use sqlite3's .backup); production uses PostgreSQL"
  target=$(libpq_url "$database")
  for tool in pg_dump pg_restore; do
    command -v "$tool" >/dev/null || die "$tool is not installed (Debian: apt-get install postgresql-client)"
  done
fi
if [[ -n $data_dir && $data_dir != "-" && ! -d $data_dir ]]; then
  die "data directory $data_dir does not exist (pass -D - to skip it)"
fi

mkdir -p "$backup_dir"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
dump="$backup_dir/ykien-$stamp.dump"
tarball="$backup_dir/ykien-data-$stamp.tar.gz"

# Write under a temporary name and rename once complete: a file with the final name is whole.
cleanup() {
  rm -f "$dump.partial" "$tarball.partial"
}
trap cleanup EXIT

if [[ $database != "-" ]]; then
  pg_dump --format=custom --file="$dump.partial" --dbname="$target"
  # A dump pg_restore cannot read is no backup.
  pg_restore --list "$dump.partial" >/dev/null
  mv "$dump.partial" "$dump"
  printf 'database\t%s\n' "$dump"
fi

if [[ -n $data_dir && $data_dir != "-" ]]; then
  # models/ is rebuilt on start; an SQLite file is never copied while it may be written.
  tar --create --gzip --file="$tarball.partial" --directory="$data_dir" \
    --exclude=./models --exclude='*.sqlite3' --exclude='*.sqlite3-*' .
  mv "$tarball.partial" "$tarball"
  printf 'data\t%s\n' "$tarball"
fi

# Only after a good backup: delete this script's own files older than keep_days.
find "$backup_dir" -maxdepth 1 -type f \
  \( -name 'ykien-[0-9]*.dump' -o -name 'ykien-data-[0-9]*.tar.gz' \) \
  -mmin "+$((keep_days * 1440))" -delete
