#!/usr/bin/env bash
# Restore a backup made by backup.sh into an EMPTY PostgreSQL database, then print every
# table's row count; optionally unpack the data directory's tarball too.
#
# Usage: restore.sh [-d DATABASE] [-t DATA_TARBALL -D DATA_DIR] DUMP_FILE
#
#   -d  the empty target database: ykien's URL (postgresql+asyncpg://ykien@db-host/ykien), a
#       libpq URL or a database name. Default: $YKIEN_DATABASE_URL
#   -t  a ykien-data-*.tar.gz from backup.sh, unpacked into -D (which must be empty or absent)
#   -D  the data directory to fill. Default: $YKIEN_DATA_DIR
#
# Create the database first, owned by the role ykien connects as, and connect as that role
# (objects are restored owned by the connecting role; the dump's owners and grants are not
# replayed):   sudo -u postgres createdb -O ykien ykien_restored
# Stop ykien (or point it elsewhere) while restoring. Then run `ykien db upgrade` if the
# installed version is newer than the backup, and start the service.
# Prints "TABLE<TAB>ROWS" lines, sorted by table name, on standard output.
set -euo pipefail

# usage, die, libpq_url
. "$(dirname "$(readlink -f "$0")")/common.sh"

database=${YKIEN_DATABASE_URL:-}
data_dir=${YKIEN_DATA_DIR:-}
tarball=

while getopts ':d:t:D:h' opt; do
  case $opt in
    d) database=$OPTARG ;;
    t) tarball=$OPTARG ;;
    D) data_dir=$OPTARG ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))
[[ $# -eq 1 ]] || usage
dump=$1

[[ -n $database ]] || die "no database: pass -d or set YKIEN_DATABASE_URL"
[[ -f $dump ]] || die "no such dump file: $dump"
for tool in pg_restore psql; do
  command -v "$tool" >/dev/null || die "$tool is not installed (Debian: apt-get install postgresql-client)"
done
if [[ -n $tarball ]]; then
  [[ -f $tarball ]] || die "no such tarball: $tarball"
  [[ -n $data_dir ]] || die "-t needs -D DATA_DIR (or YKIEN_DATA_DIR)"
  if [[ -d $data_dir && -n $(ls -A "$data_dir") ]]; then
    die "data directory $data_dir is not empty"
  fi
fi
[[ $database == sqlite* ]] && die "the target must be a PostgreSQL database, not $database"
target=$(libpq_url "$database")

psql_() {
  psql --no-psqlrc --quiet --tuples-only --no-align --set=ON_ERROR_STOP=1 --dbname="$target" "$@"
}

# Never restore over data: the target must have no table outside the system schemas.
existing=$(psql_ --command="SELECT count(*) FROM pg_catalog.pg_tables
  WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")
[[ $existing == 0 ]] || die "the target database is not empty ($existing tables); create an empty one"

# One transaction: a failure leaves the database empty, never half restored.
pg_restore --no-owner --no-privileges --exit-on-error --single-transaction \
  --dbname="$target" "$dump"
# pg_restore brings no planner statistics.
psql_ --command="ANALYZE"

if [[ -n $tarball ]]; then
  mkdir -p "$data_dir"
  tar --extract --gzip --file="$tarball" --directory="$data_dir" --no-same-owner
  echo "restore.sh: data directory restored into $data_dir" >&2
fi

# Exact row counts of every table (alembic_version included), one query.
psql_ --field-separator=$'\t' --command="
  SELECT table_name,
         (xpath('/row/n/text()',
                query_to_xml(format('SELECT count(*) AS n FROM %I.%I', table_schema, table_name),
                             false, true, '')))[1]::text::bigint
  FROM information_schema.tables
  WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND table_type = 'BASE TABLE'
  ORDER BY table_name"
