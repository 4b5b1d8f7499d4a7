#!/usr/bin/env bash
# Docs move with code: completions/ is exactly what the binary generates, every command and flag
# appears in its man page, and the man pages render without warnings.
set -euo pipefail
bin=$1; src=$2; bad=0
for sh in bash zsh fish; do
  case $sh in bash) f=pkictl.bash;; zsh) f=_pkictl;; fish) f=pkictl.fish;; esac
  if ! diff -u "$src/completions/$f" <("$bin" completion $sh) >/dev/null 2>&1; then
    echo "completions/$f is stale: run '$bin completion $sh > completions/$f'"; bad=1
  fi
done
for page in "$src"/man/*.1 "$src"/man/*.5; do
  [ -e "$page" ] || continue
  if ! groff -ww -man -Tascii "$page" 2>&1 >/dev/null | (! grep .); then echo "groff warnings in $page"; bad=1; fi
done
render() { groff -man -Tascii -P-cbou "$1" 2>/dev/null; }
while IFS=$'\t' read -r path flags; do
  group=${path%% *}
  page="$src/man/pkictl-$group.1"
  [ -n "$group" ] && [ -e "$page" ] || page="$src/man/pkictl.1"
  text=$(render "$page")
  for word in $path; do
    grep -qw -- "$word" <<<"$text" || { echo "$page: does not mention command '$path'"; bad=1; }
  done
  for flag in $flags; do
    case $flag in --help|-h|--version|-v) continue;; esac
    grep -q -- "$flag" <<<"$text" || { echo "$page: does not document $flag of '${path:-pkictl}'"; bad=1; }
  done
done < <("$bin" completion list)
[ $bad -eq 0 ] && echo "docs: ok"
exit $bad
