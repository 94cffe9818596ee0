# Developer shortcuts; CI runs .ci/run.

.PHONY: test lambda-check cold-check bench bench-quick bench-ratio

test:
	go test ./...

# The checks that build the Lambda function exactly as deploy/build.sh builds it (its own
# compile of every dependency, for the host and for linux/arm64: minutes on a cold cache):
# the linked features, the size, and the end-to-end tests on that binary. `go test ./...`
# skips them with this reason; .ci/run runs this target.
lambda-check:
	TRAILHOUND_LAMBDA_CHECK=1 go test -count=1 -timeout 45m -run '^TestLambda(Build|EndToEnd|Size)' ./internal/function/ ./internal/bench/

# .ci/run from a fresh clone of HEAD, with an empty build cache, while two CPU-bound
# processes compete: what a new user's first run sees (.ci/cold-check).
cold-check:
	.ci/cold-check

# The replay benchmark (targets in BENCHMARKS.md): 1,000,000 records in 200 files, medians of 5 runs, and a
# trail 10 times larger for peak RSS. The report is printed and written to bench-out/.
bench:
	mkdir -p bench-out
	go run ./internal/bench/cmd/trailbench -grow 10 -out bench-out/report.md

bench-quick:
	go run ./internal/bench/cmd/trailbench -records 100000 -files 20 -runs 3

# The replay/floor ratio alone, on the 1,000,000-record trail: 9 runs of each, side by side.
bench-ratio:
	go run ./internal/bench/cmd/trailbench -ratio-only -runs 9
