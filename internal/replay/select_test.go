package replay

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// selectKeys is a tree with every kind of key a trail bucket holds: log files in and out of
// range, other accounts and regions, digests, insights, files outside the layout, folders that
// are not dates, files at the wrong depth, hidden files and folders, an organization level.
func selectKeys(rng *rand.Rand) []string {
	keys := []string{
		"README.json", "notes/x.json", ".hidden/a.json", "notes/.b.json", "x.txt",
		"AWSLogs/stray.json",
		"AWSLogs/111122223333/CloudTrail/us-east-1/odd.json",
		"AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/odd.json",
		"AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/17/deeper/111122223333_CloudTrail_us-east-1_20240317T1200Z_deep.json.gz",
		"AWSLogs/111122223333/CloudTrail/us-east-1/2024/3/17/111122223333_CloudTrail_us-east-1_20240317T1200Z_short.json.gz",
		"AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/17/.hid.json.gz",
		"AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/17/plain.json",
		"AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/03/17/111122223333_CloudTrail-Digest_us-east-1_x_20240317T1200Z.json.gz",
		"AWSLogs/111122223333/CloudTrail-Insight/us-east-1/2024/03/17/111122223333_CloudTrailInsight_us-east-1_20240317T1200Z_i.json.gz",
		"AWSLogs/111122223333/CloudTrail/notaregion/2024/03/17/111122223333_CloudTrail_us-east-1_20240317T1200Z_nr.json.gz",
		"AWSLogs/111122223333/CloudTrail/us-east-1/2024/13/01/111122223333_CloudTrail_us-east-1_20250101T0000Z_m13.json.gz",
		"elsewhere/AWSLogs/444455556666/CloudTrail/eu-west-1/2024/03/18/444455556666_CloudTrail_eu-west-1_20240318T0005Z_nest.json.gz",
	}
	orgs := []string{"", "o-exampleorg1/"}
	accounts := []string{"111122223333", "444455556666", "777788889999"}
	regions := []string{"us-east-1", "eu-west-1", "ap-southeast-2"}
	for range 300 {
		acct, region := accounts[rng.IntN(3)], regions[rng.IntN(3)]
		t := time.Date(2024, 3, 15, 0, 0, 0, 0, time.UTC).Add(time.Duration(rng.IntN(5*24*12)) * 5 * time.Minute)
		nameAcct, nameRegion := acct, region
		if rng.IntN(10) == 0 {
			nameAcct = accounts[rng.IntN(3)] // a name that disagrees with its folder
		}
		name := fmt.Sprintf("%s_CloudTrail_%s_%s_%04d.json.gz", nameAcct, nameRegion, t.Format(fileStampLayout), rng.IntN(10000))
		keys = append(keys, fmt.Sprintf("AWSLogs/%s%s/CloudTrail/%s/%s/%s", orgs[rng.IntN(2)], acct, region, t.Format("2006/01/02"), name))
	}
	return keys
}

// TestSelectMatchesPlan checks Select against plan, key by key, for roots at every level of
// the layout and for filters of every kind: what a Distributed Map worker keeps from a listing
// is what replay lists, and in the same order once sorted by (time, key).
func TestSelectMatchesPlan(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 1))
	keys := selectKeys(rng)
	tree := fstest.MapFS{}
	for _, k := range keys {
		tree["trail/"+k] = &fstest.MapFile{Data: []byte(`{"Records":[]}`)}
	}
	sub := func(root string) fstest.MapFS {
		out := fstest.MapFS{}
		for k, v := range tree {
			if rest, ok := strings.CutPrefix(k, root+"/"); ok {
				out[rest] = v
			}
		}
		return out
	}
	filters := []Filter{
		{},
		{Start: time.Date(2024, 3, 17, 0, 0, 0, 0, time.UTC), End: time.Date(2024, 3, 18, 0, 0, 0, 0, time.UTC)},
		{Start: time.Date(2024, 3, 16, 11, 0, 0, 0, time.UTC)},
		{End: time.Date(2024, 3, 16, 0, 0, 0, 0, time.UTC), Accounts: []string{"111122223333"}},
		{Regions: []string{"eu-west-1", "us-east-1"}, Start: time.Date(2024, 3, 19, 0, 0, 0, 0, time.UTC), Lateness: 3 * time.Hour},
	}
	roots := []string{"trail", "trail/AWSLogs", "trail/AWSLogs/o-exampleorg1", "trail/AWSLogs/111122223333",
		"trail/AWSLogs/111122223333/CloudTrail", "trail/AWSLogs/111122223333/CloudTrail/us-east-1", "trail/notes"}
	for _, root := range roots {
		for i, f := range filters {
			t.Run(fmt.Sprintf("%s/filter%d", root, i), func(t *testing.T) {
				src := NewLocalFS(root, sub(root))
				want, wantPruned, err := Plan(context.Background(), src, f)
				if err != nil {
					t.Fatal(err)
				}
				pf := f
				if err := pf.Prepare(); err != nil {
					t.Fatal(err)
				}
				var got []Object
				pruned := 0
				err = List(context.Background(), src, func(o Object) error {
					sel, tm := pf.Select(RootPath(src), o.Key)
					switch sel {
					case Kept:
						o.Time = tm
						got = append(got, o)
					case Pruned:
						pruned++
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				slices.SortFunc(got, func(a, b Object) int {
					if c := a.Time.Compare(b.Time); c != 0 {
						return c
					}
					return strings.Compare(a.Key, b.Key)
				})
				if !slices.EqualFunc(got, want, func(a, b Object) bool { return a.Key == b.Key && a.Time.Equal(b.Time) && a.Size == b.Size }) {
					t.Errorf("Select kept %d files, plan %d:\n got %v\nwant %v", len(got), len(want), keysOf(got), keysOf(want))
				}
				if pruned != wantPruned {
					t.Errorf("Select pruned %d, plan %d", pruned, wantPruned)
				}
				if len(want) == 0 && root == "trail" && i == 0 {
					t.Error("the tree has nothing to keep: the test checks nothing")
				}
			})
		}
	}
}

func keysOf(objs []Object) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = o.Key
	}
	return out
}
