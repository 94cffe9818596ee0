// Package replay runs the detection pipeline over CloudTrail log files at rest: a directory
// tree (a trail bucket synced to disk) or an S3 prefix, in CloudTrail's own key layout
//
//	AWSLogs/[<org-id>/]<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<YYYYMMDDTHHMMZ>_<rand>.json.gz
//
// with and without the organization level; files outside the layout are read too.
//
// A Filter (time range, accounts, regions) prunes by key before anything is opened: the
// listing descends the layout and never lists an excluded account, region, year, month or
// day, and file names are checked against the range (a file holds events from up to an hour
// before the time in its name). Records of the files that remain are filtered again on their
// own eventTime, recipientAccountId and awsRegion.
//
// Files are read and decoded by a bounded set of workers; records no rule selects are counted
// on the spot, never parsed or seen by Rego (with a filter that keeps every record, the
// decoder reads no more of their header than eventSource and eventName, and each worker
// remembers the rule set's answer per event); the others are evaluated on the workers too, and
// delivered in replay order (files by the time in their names, records in file order) by one
// goroutine, so dedup and threshold windows and alert ids are the same as a one-by-one scan
// of the same files gives, whatever the number of workers. Memory is bounded by the files in
// flight, not by the size of the trail; the listing itself (about 100 bytes per file) is kept
// to order the files and to give an ETA.
package replay
