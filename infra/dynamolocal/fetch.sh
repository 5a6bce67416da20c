#!/usr/bin/env bash
# Installs the official DynamoDB Local (DynamoDBLocal.jar + DynamoDBLocal_lib/) into $1.
# Tries AWS's own download first; where only package registries are reachable, falls back
# to the npm package amplify-dynamodb-simulator, which ships the same official files.
set -euo pipefail

dest="${1:-.local/dynamodb-local}"
npm_pkg="amplify-dynamodb-simulator@2.9.30" # ships DynamoDB Local 1.25.1 under emulator/
aws_urls=(
	https://d1ni2b6xgvw0s0.cloudfront.net/v2.x/dynamodb_local_latest.tar.gz
	https://s3.us-west-2.amazonaws.com/dynamodb-local/dynamodb_local_latest.tar.gz
)

[[ -f "$dest/DynamoDBLocal.jar" ]] && exit 0

fail() {
	echo "fetch.sh: $*" >&2
	exit 1
}

if [[ -e "$dest" ]]; then
	# An empty directory is harmless; anything else there is not ours to delete.
	rmdir "$dest" 2>/dev/null || fail "$dest exists but has no DynamoDBLocal.jar: remove it and retry"
fi
mkdir -p "$(dirname "$dest")"
dest="$(cd "$(dirname "$dest")" && pwd)/$(basename "$dest")" # absolute: we cd below
# Temp dir beside $dest so the final mv is a rename on the same filesystem (atomic).
tmp="$(mktemp -d "$(dirname "$dest")/.dynamodb-local.tmp.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

install_from() { # $1: directory holding DynamoDBLocal.jar
	[[ -f "$1/DynamoDBLocal.jar" && -d "$1/DynamoDBLocal_lib" ]] || return 1
	if ! mv "$1" "$dest" 2>/dev/null; then
		# Lost a race with another fetch: fine if it installed the jar.
		[[ -f "$dest/DynamoDBLocal.jar" ]] || return 1
	fi
	[[ -f "$dest/DynamoDBLocal.jar" ]] || fail "install into $dest went wrong (no DynamoDBLocal.jar after mv)"
	echo "fetch.sh: DynamoDB Local $2 installed in $dest" >&2
	exit 0
}

for url in "${aws_urls[@]}"; do
	mkdir -p "$tmp/aws"
	if curl -fsSL --connect-timeout 5 --max-time 20 -o "$tmp/aws.tgz" "$url" 2>/dev/null &&
		tar -xzf "$tmp/aws.tgz" -C "$tmp/aws" 2>/dev/null; then
		install_from "$tmp/aws" "(from AWS)"
	fi
	rm -rf "$tmp/aws" "$tmp/aws.tgz"
done

if command -v npm >/dev/null 2>&1; then
	if tgz="$(cd "$tmp" && npm pack --loglevel=error "$npm_pkg" 2>"$tmp/npm.err" | tail -n 1)" &&
		[[ -n "$tgz" && -f "$tmp/$tgz" ]] &&
		tar -xzf "$tmp/$tgz" -C "$tmp" package/emulator; then
		install_from "$tmp/package/emulator" "1.25.1 (from npm $npm_pkg)"
	fi
	npm_err="$(grep -v 'complete log' "$tmp/npm.err" 2>/dev/null | sed 's/^npm error //' | head -n 3 | paste -sd ';' - || true)"
else
	npm_err="npm not installed"
fi

fail "could not get DynamoDB Local: AWS download unreachable and npm pack $npm_pkg failed${npm_err:+ ($npm_err)}"
