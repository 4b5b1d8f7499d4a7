#!/usr/bin/env bash
# core/ must not include CLI11, Beast/Asio, or (outside core/net) curl; ceremony/ links core only;
# client/ and server/ are independent of each other.
set -u
root=$1; bad=0
if grep -rnE '#include *<(boost/beast|boost/asio|CLI/)' "$root/core" "$root/ceremony" 2>/dev/null; then bad=1; fi
if grep -rnE '#include *<curl/' "$root/core" 2>/dev/null | grep -v '^'"$root"'/core/net/'; then bad=1; fi
if grep -rnE '#include *"(server|client|cli)/' "$root/core" "$root/ceremony" 2>/dev/null; then bad=1; fi
# The client never reaches into the server, nor the server into the client.
if grep -rnE '#include *"server/' "$root/client" 2>/dev/null; then bad=1; fi
if grep -rnE '#include *"client/' "$root/server" 2>/dev/null; then bad=1; fi
[ $bad -eq 0 ] && echo "layering: ok" || echo "layering: violations above"
exit $bad
