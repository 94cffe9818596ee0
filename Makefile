# Developer shortcuts; CI runs .ci/run.

.PHONY: test bench bench-quick

test:
	go test ./...

# The replay benchmark (targets in BENCHMARKS.md): 1,000,000 records in 200 files, medians of 5 runs, and a
# trail 10 times larger for peak RSS. The report is printed and written to bench-out/.
bench:
	mkdir -p bench-out
	go run ./internal/bench/cmd/trailbench -grow 10 -out bench-out/report.md

bench-quick:
	go run ./internal/bench/cmd/trailbench -records 100000 -files 20 -runs 3
