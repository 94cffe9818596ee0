package engine

import "testing"

func TestRunnableTasks(t *testing.T) {
	for in, want := range map[string]int{
		"0.50 0.40 0.30 2/139 1887\n": 2,
		"3.41 3.87 3.60 1/2 7":        1,
	} {
		if n, ok := runnableTasks(in); !ok || n != want {
			t.Errorf("%q: %d %v, want %d", in, n, ok, want)
		}
	}
	for _, in := range []string{"", "0.50 0.40 0.30", "0.50 0.40 0.30 x/139 1887", "0.50 0.40 0.30 2-139 1887", "0.50 0.40 0.30 -1/139 1"} {
		if n, ok := runnableTasks(in); ok {
			t.Errorf("%q: read %d", in, n)
		}
	}
	if n := runnableOthers(); n < 0 {
		t.Errorf("runnableOthers %d", n)
	}
}
