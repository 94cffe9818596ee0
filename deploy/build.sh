#!/bin/sh
# Builds the Lambda function: detector's Lambda build, for provided.al2023 on arm64.
#
#     deploy/build.sh [-host] [OUT [GO BUILD FLAGS...]]
#
# OUT defaults to deploy/build/bootstrap (the template's CodeUri). -host builds for the machine
# running the script instead of linux/arm64 (the tests run the function that way). Flags after
# OUT are added last, so they win (the tests pass -ldflags= to keep the symbol table).
#
# What the flags do, and why (deploy/README.md, Build):
#   -tags lambda         the function alone: no CLI command is linked (detector/commands_lambda.go)
#   -tags lambda.norpc   aws-lambda-go without its net/rpc mode, which provided.al2023 never uses
#   -trimpath, -ldflags "-s -w"
#                        no local paths, no symbol table, no DWARF
#   -gcflags PKG=-l      no inlining in dependencies that run on no hot path: the AWS SDK and the
#                        Lambda runtime client (each call waits on the network), protobuf and
#                        JOSE (a bundle's signature, once per bundle), gqlparser (OPA's graphql
#                        builtins, which no rule calls). About 1.5 MB smaller. OPA's parser,
#                        compiler and evaluator, YAML (rule metadata, parsed at cold start), the
#                        detector's packages and the standard library keep inlining.
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
	-tags lambda,lambda.norpc \
	-trimpath \
	-ldflags '-s -w' \
	-gcflags 'github.com/aws/...=-l' \
	-gcflags 'google.golang.org/protobuf/...=-l' \
	-gcflags 'github.com/lestrrat-go/...=-l' \
	-gcflags 'github.com/vektah/...=-l' \
	-o "$out" "$@" ./detector
