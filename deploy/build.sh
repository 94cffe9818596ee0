#!/bin/sh
# Builds the Lambda function (cmd/bootstrap: the function alone, no CLI command) for
# provided.al2023 on arm64.
#
#     deploy/build.sh [-host] [OUT [GO BUILD FLAGS...]]
#
# OUT defaults to deploy/build/bootstrap (the template's CodeUri). -host builds for the machine
# running the script instead of linux/arm64 (the tests run the function that way). Flags after
# OUT are added last, so they win (the tests pass -ldflags= to keep the symbol table).
#
# What the flags do, and why (deploy/README.md, Build):
#   -tags lambda.norpc   aws-lambda-go without its net/rpc mode, which provided.al2023 never uses
#   -trimpath, -ldflags "-s -w"
#                        no local paths, no symbol table, no DWARF
#   -gcflags PKG=-l      no inlining outside the per-event CPU path, about 2.2 MB smaller. Every
#                        dependency is built without it (the AWS SDK and the Lambda runtime
#                        client wait on the network; YAML, OPA's bundle reader, protobuf and JOSE
#                        run once per start or per bundle; the support code of builtins no rule
#                        of the pack calls runs never), and so are the standard library's
#                        network, TLS and certificate packages, except the code each event runs
#                        on the CPU, which keeps it: the detector's own per-event packages,
#                        OPA's evaluator (ast, topdown, and the util, storage and metrics
#                        packages each evaluation uses), xxhash (its hashing) and the rest of
#                        the standard library. The detector's own start-up and network code
#                        (settings, setup, AWS configuration, sinks, bundles, team packs, rule
#                        loading, the backtest and replay drivers) is built without it too,
#                        128 KB smaller. (Later -gcflags patterns override earlier ones.)
set -eu

goos=linux
goarch=arm64
if [ "${1:-}" = "-host" ]; then
	goos=$(go env GOHOSTOS)
	goarch=$(go env GOHOSTARCH)
	shift
fi

root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/deploy/build/bootstrap}
[ $# -gt 0 ] && shift
case $out in
/*) ;;
*) out=$PWD/$out ;;
esac
mkdir -p "$(dirname "$out")"

cd "$root"
CGO_ENABLED=0 GOOS=$goos GOARCH=$goarch exec go build \
	-tags lambda.norpc \
	-trimpath \
	-ldflags '-s -w' \
	-gcflags 'all=-l' \
	-gcflags 'std=' \
	-gcflags 'net/...=-l' -gcflags 'crypto/...=-l' -gcflags 'vendor/...=-l' \
	-gcflags 'math/big=-l' -gcflags 'encoding/asn1=-l' -gcflags 'mime/...=-l' \
	-gcflags 'github.com/trailhound/trailhound/...=' \
	-gcflags 'github.com/trailhound/trailhound/internal/settings=-l' \
	-gcflags 'github.com/trailhound/trailhound/internal/setup=-l' \
	-gcflags 'github.com/trailhound/trailhound/internal/awsenv=-l' \
	-gcflags 'github.com/trailhound/trailhound/internal/crossaccount=-l' \
	-gcflags 'github.com/trailhound/trailhound/internal/sink=-l' \
	-gcflags 'github.com/trailhound/trailhound/internal/bundle=-l' \
	-gcflags 'github.com/trailhound/trailhound/internal/reload=-l' \
	-gcflags 'github.com/trailhound/trailhound/internal/team=-l' \
	-gcflags 'github.com/trailhound/trailhound/internal/rule=-l' \
	-gcflags 'github.com/trailhound/trailhound/internal/backtest=-l' \
	-gcflags 'github.com/trailhound/trailhound/internal/replay=-l' \
	-gcflags 'github.com/trailhound/trailhound/internal/version=-l' \
	-gcflags 'github.com/open-policy-agent/opa/v1/ast/...=' \
	-gcflags 'github.com/open-policy-agent/opa/v1/topdown/...=' \
	-gcflags 'github.com/open-policy-agent/opa/v1/util/...=' \
	-gcflags 'github.com/open-policy-agent/opa/v1/storage/...=' \
	-gcflags 'github.com/open-policy-agent/opa/v1/metrics=' \
	-gcflags 'github.com/cespare/xxhash/...=' \
	-o "$out" "$@" ./cmd/bootstrap
