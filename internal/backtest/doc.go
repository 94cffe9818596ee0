// Package backtest runs a replay of a whole trail as a map and a reduce, the shape of a Step
// Functions Distributed Map run (deploy/backtest.yaml), with the result of `detector replay`
// over the same trail and filter, exactly.
//
// The map phase is stateless and parallel. Step Functions lists the trail's prefix
// (ItemReader: S3 ListObjectsV2), batches the keys (ItemBatcher) and invokes the worker with
// {"Items": [{"Key", "Size", "ETag", "LastModified"}, ...], "BatchInput": Settings}. The
// Worker keeps the keys a replay of the same root and filter keeps (replay's Filter.Select),
// reads and decodes each file, filters its records, evaluates them and writes, per file, the
// candidate alerts before any window state (pipeline.Prepare) with the outcome counts, to
// <run>/files/<time in the file's name>/<key>: a retried batch overwrites the same objects.
//
// The reduce phase is ordered. The Reducer lists <run>/files/, which S3 returns in replay's
// order (files by the time in their names, then key; records in file order), and settles each
// candidate (pipeline.Settle: team suppression counts, idempotency, dedup and threshold
// windows), writing the final alerts as JSON Lines, the errors and the summary under the run,
// and sending the alerts to the configured destinations when asked. It refuses a map that did
// not finish (read from Step Functions' ResultWriter manifest, or from the local driver's
// failed batches) naming the files left without output, unless told to accept the failures,
// and then lists them in the summary.
//
// Memory is bounded by a batch (the worker holds one file's bytes and candidates per
// goroutine) and by one file's candidates plus the window state (the reducer), never by the
// size of the trail. RunLocal drives the same handlers in-process with a worker pool and
// small batches, for development, tests and small trails.
package backtest
