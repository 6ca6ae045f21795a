package heads

import (
	"reflect"
	"runtime"
	"testing"
	"time"
)

var trainers = []struct {
	name string
	new  func(seed uint64) Trainer
}{
	{"logreg", func(uint64) Trainer { return LogRegOptions{} }},
	{"mlp", func(s uint64) Trainer { return MLPOptions{Seed: s} }},
	{"gbdt", func(s uint64) Trainer { return GBDTOptions{Seed: s} }},
}

func TestAccuracyOnBlobs(t *testing.T) {
	cases := []struct {
		name                 string
		classes, informative int
		sep                  float64
		min, max             float64 // expected held-out accuracy range per head
		gbdtMin              float64
	}{
		// Well separated: every head should be near perfect.
		{"separable binary", 2, 20, 8, 0.97, 1, 0.93},
		{"separable 4 classes", 4, 20, 10, 0.95, 1, 0.85},
		// Overlapping (Bayes accuracy about 0.84): well above chance, not perfect.
		{"noisy binary", 2, 20, 2, 0.70, 0.90, 0.62},
	}
	for _, c := range cases {
		b := newBlobs(64, c.informative, c.classes, c.sep)
		train, val, test := b.sample(1, 400), b.sample(2, 100), b.sample(3, 1000)
		for _, tr := range trainers {
			t.Run(c.name+"/"+tr.name, func(t *testing.T) {
				m, err := tr.new(7).Fit(train, val)
				if err != nil {
					t.Fatal(err)
				}
				lo := c.min
				if tr.name == "gbdt" {
					lo = c.gbdtMin
				}
				if acc := accuracy(t, m, test); acc < lo || acc > c.max {
					t.Fatalf("held-out accuracy %.3f outside [%.2f, %.2f]", acc, lo, c.max)
				} else {
					t.Logf("held-out accuracy %.3f", acc)
				}
			})
		}
	}
}

func TestTreesSolveDisc(t *testing.T) {
	train, val, test := disc(1, 400, 16), disc(2, 200, 16), disc(3, 1000, 16)
	g, err := GBDTOptions{Seed: 1, ColSample: 1}.Fit(train, val)
	if err != nil {
		t.Fatal(err)
	}
	l, err := LogRegOptions{}.Fit(train, val)
	if err != nil {
		t.Fatal(err)
	}
	if acc := accuracy(t, g, test); acc < 0.85 {
		t.Fatalf("gbdt disc accuracy %.3f, want >= 0.85", acc)
	}
	if acc := accuracy(t, l, test); acc > 0.65 {
		t.Fatalf("logreg disc accuracy %.3f: a linear head cannot separate a disc", acc)
	}
}

func TestDeterminism(t *testing.T) {
	b := newBlobs(48, 10, 3, 4)
	train, val := b.sample(1, 200), b.sample(2, 60)
	for _, tr := range trainers {
		t.Run(tr.name, func(t *testing.T) {
			a, err := tr.new(5).Fit(train, val)
			if err != nil {
				t.Fatal(err)
			}
			prev := runtime.GOMAXPROCS(1) // one core must give the very same model
			b, err := tr.new(5).Fit(train, val)
			runtime.GOMAXPROCS(prev)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(a, b) {
				t.Fatal("same data and seed gave different models")
			}
			if tr.name == "logreg" {
				return // no seed
			}
			c, _ := tr.new(6).Fit(train, val)
			if reflect.DeepEqual(a, c) {
				t.Fatal("different seeds gave identical models")
			}
		})
	}
}

func TestFitErrors(t *testing.T) {
	good := newBlobs(4, 2, 2, 4).sample(1, 20)
	cases := []struct {
		name       string
		train, val Dataset
	}{
		{"empty train", Dataset{Classes: 2}, Dataset{Classes: 2}},
		{"one class", Dataset{X: good.X, Y: good.Y, Classes: 1}, Dataset{Classes: 1}},
		{"label out of range", Dataset{X: good.X[:1], Y: []int{5}, Classes: 2}, Dataset{Classes: 2}},
		{"ragged", Dataset{X: [][]float32{{1, 2}, {1}}, Y: []int{0, 1}, Classes: 2}, Dataset{Classes: 2}},
		{"val dim", good, Dataset{X: [][]float32{{1}}, Y: []int{0}, Classes: 2}},
		{"length", Dataset{X: good.X, Y: good.Y[:3], Classes: 2}, Dataset{Classes: 2}},
	}
	for _, c := range cases {
		for _, tr := range trainers {
			if _, err := tr.new(1).Fit(c.train, c.val); err == nil {
				t.Errorf("%s/%s: no error", c.name, tr.name)
			}
		}
	}
	if _, err := Default("svm", 1); err == nil {
		t.Fatal("unknown head accepted")
	}
	for _, k := range Kinds {
		tr, err := Default(k, 1)
		if err != nil {
			t.Fatal(err)
		}
		m, err := tr.Fit(good, Dataset{Classes: 2}) // no validation split
		if err != nil || m.Kind() != k || m.NumClasses() != 2 {
			t.Fatalf("%s without validation: %v, %v", k, m, err)
		}
	}
}

// TestSpeed checks the brief's budget: 500 x 1792 trains in a few seconds.
func TestSpeed(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("timing is meaningless in -short mode or under the race detector")
	}
	b := newBlobs(1792, 50, 2, 3)
	train, val := b.sample(1, 500), b.sample(2, 100)
	for _, tr := range trainers {
		start := time.Now()
		m, err := tr.new(1).Fit(train, val)
		if err != nil {
			t.Fatal(err)
		}
		el := time.Since(start)
		t.Logf("%s: 500x1792 fitted in %v (GOMAXPROCS %d), val accuracy %.3f",
			tr.name, el.Round(time.Millisecond), runtime.GOMAXPROCS(0), accuracy(t, m, val))
		if el > 20*time.Second && !raceEnabled {
			t.Fatalf("%s took %v", tr.name, el)
		}
	}
}
