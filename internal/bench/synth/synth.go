// Package synth writes deterministic synthetic CloudTrail trails for benchmarks and tests: gzipped
// log files in CloudTrail's own S3 key layout
// (AWSLogs/[<org-id>/]<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<YYYYMMDDTHHMMZ>_<rand>.json.gz),
// holding realistic records of 1.5-2.5 KB: S3 data events, STS and EC2 calls as noise, and a
// configurable share of IAM access-key and user events (some of which the built-in rules alert
// on). The same Config always yields byte-identical files, whatever the number of workers.
package synth

import (
	"fmt"
	"math/rand/v2"
	"path"
	"time"
)

// Config describes a trail. Zero fields take the defaults of Default.
type Config struct {
	Seed    uint64
	Records int // total records
	Files   int // log files; records are spread evenly over them
	// Accounts and Regions span the trail: each time slot has one file per (account, region),
	// in that order, so Files should be a multiple of len(Accounts)*len(Regions).
	Accounts []string
	Regions  []string
	// OrgID, when set, puts the files under AWSLogs/<OrgID>/ (an organization trail).
	OrgID string
	// Start is the time of the first slot; each slot is Span long and its files hold events
	// from the Span before the file's timestamp.
	Start time.Time
	Span  time.Duration
	// IAMPercent is the share of IAM key and user events among all records (CloudTrail
	// delivers IAM, a global service, in us-east-1: they all go to us-east-1 files when the
	// trail has that region).
	IAMPercent float64
}

// Default is the replay benchmark's trail: 1,000,000 records in 200 files, 1% IAM.
func Default() Config {
	return Config{
		Seed:       1,
		Records:    1_000_000,
		Files:      200,
		Accounts:   []string{"111122223333", "444455556666"},
		Regions:    []string{"us-east-1", "eu-west-1"},
		OrgID:      "o-exampleorg1",
		Start:      time.Date(2024, 3, 18, 0, 0, 0, 0, time.UTC),
		Span:       5 * time.Minute,
		IAMPercent: 1,
	}
}

// withDefaults fills zero fields from Default.
func (c Config) withDefaults() Config {
	d := Default()
	if c.Records <= 0 {
		c.Records = d.Records
	}
	if c.Files <= 0 {
		c.Files = d.Files
	}
	if len(c.Accounts) == 0 {
		c.Accounts = d.Accounts
	}
	if len(c.Regions) == 0 {
		c.Regions = d.Regions
	}
	if c.Start.IsZero() {
		c.Start = d.Start
	}
	if c.Span <= 0 {
		c.Span = d.Span
	}
	if c.IAMPercent < 0 {
		c.IAMPercent = 0
	}
	return c
}

// File is one planned log file.
type File struct {
	Index   int
	Key     string // path relative to the trail root, in CloudTrail's key layout
	Account string
	Region  string
	Time    time.Time // the timestamp in the file name: the end of the span its events cover
	Records int
	IAM     int // how many of its records are IAM events
}

// Plan lays out the files of a trail, in slot order, then account, then region.
func Plan(c Config) []File {
	c = c.withDefaults()
	pairs := len(c.Accounts) * len(c.Regions)
	iamFiles := 0
	for i := 0; i < c.Files; i++ {
		if iamRegion(c, c.Regions[i%pairs%len(c.Regions)]) {
			iamFiles++
		}
	}
	iamTotal := int(float64(c.Records) * c.IAMPercent / 100)
	files := make([]File, c.Files)
	seenIAM := 0
	for i := range files {
		slot := i / pairs
		acct := c.Accounts[i%pairs/len(c.Regions)]
		region := c.Regions[i%pairs%len(c.Regions)]
		t := c.Start.Add(time.Duration(slot+1) * c.Span)
		f := File{Index: i, Account: acct, Region: region, Time: t, Records: share(c.Records, c.Files, i)}
		if iamRegion(c, region) && iamFiles > 0 {
			f.IAM = min(share(iamTotal, iamFiles, seenIAM), f.Records)
			seenIAM++
		}
		f.Key = Key(c.OrgID, acct, region, t, suffix(c.Seed, i))
		files[i] = f
	}
	return files
}

// iamRegion reports whether IAM events are written to region's files: us-east-1 when the trail
// covers it, else every region.
func iamRegion(c Config, region string) bool {
	for _, r := range c.Regions {
		if r == "us-east-1" {
			return region == "us-east-1"
		}
	}
	return true
}

// share is the i-th of n near-equal parts of total.
func share(total, n, i int) int {
	s := total / n
	if i < total%n {
		s++
	}
	return s
}

// Key is a log file's key in CloudTrail's layout, relative to the bucket prefix.
func Key(org, account, region string, t time.Time, rand string) string {
	t = t.UTC()
	parts := []string{"AWSLogs"}
	if org != "" {
		parts = append(parts, org)
	}
	parts = append(parts, account, "CloudTrail", region, t.Format("2006"), t.Format("01"), t.Format("02"),
		fmt.Sprintf("%s_CloudTrail_%s_%s_%s.json.gz", account, region, t.Format("20060102T1504Z"), rand))
	return path.Join(parts...)
}

// suffix is the random part CloudTrail puts at the end of a log file's name.
func suffix(seed uint64, i int) string {
	rng := rand.New(rand.NewPCG(seed, uint64(i)<<32|0xf11e))
	const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 16)
	for i := range b {
		b[i] = alnum[rng.IntN(len(alnum))]
	}
	return string(b)
}
