#!/bin/sh
# one_copy.sh SRC: each architectural constant is defined once, in arch/. Fails
# when a name arch/include/arch/*.h defines (a macro or an enumerator) is
# #defined anywhere else in the tree: a second copy that could drift from it.
set -eu
src=${1:-$(dirname "$0")/../..}
cd "$src"
names=$(sed -n -e 's/^#define \([A-Z_][A-Z0-9_]*\).*/\1/p' \
               -e 's/^    \([A-Z_][A-Z0-9_]*\) = .*/\1/p' arch/include/arch/*.h |
        grep -v -e '^ARCH_[A-Z0-9_]*_H$' | sort -u)
[ -n "$names" ] || { echo "one_copy.sh: no names found in arch/include/arch" >&2; exit 1; }
pattern="^[[:space:]]*#[[:space:]]*define[[:space:]]+($(echo $names | tr ' ' '|'))([^A-Za-z0-9_]|\$)"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    hits=$(git grep -nE "$pattern" -- ':!arch/' ':!third_party' || true)
else
    hits=$(grep -rnE "$pattern" --include='*.[chS]' . | grep -v -e '^\./arch/' -e '^\./third_party/' -e '^\./build' || true)
fi
if [ -n "$hits" ]; then
    echo "one_copy.sh: names of arch/ defined again outside it (use arch/'s):" >&2
    echo "$hits" >&2
    exit 1
fi
echo "one_copy.sh: $(echo $names | wc -w) names of arch/, each defined once"
