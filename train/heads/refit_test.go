package heads

import (
	"reflect"
	"testing"
)

// TestRefit selects each head on a tuning set, refits it on more data with
// what was chosen, and checks the refit ran exactly the chosen budget,
// ignores any validation set and is deterministic.
func TestRefit(t *testing.T) {
	b := newBlobs(32, 8, 2, 3)
	fit, tune, more := b.sample(1, 160), b.sample(2, 40), b.sample(3, 200)
	none := Dataset{Classes: 2}
	for _, tr := range trainers {
		t.Run(tr.name, func(t *testing.T) {
			sel, err := tr.new(4).Fit(fit, tune)
			if err != nil {
				t.Fatal(err)
			}
			rt, ok := Refit(tr.new(4), sel)
			if !ok {
				t.Fatal("Refit does not know the head")
			}
			a, err := rt.Fit(more, none)
			if err != nil {
				t.Fatal(err)
			}
			withVal, err := rt.Fit(more, tune) // a refit must not look at a validation set
			if err != nil {
				t.Fatal(err)
			}
			if probe := tune.X; !reflect.DeepEqual(a.Logits(probe), withVal.Logits(probe)) {
				t.Fatal("the refit depends on the validation set it was given")
			}
			switch s := sel.(type) {
			case *LogReg:
				m := a.(*LogReg)
				if m.L2 != s.L2 || len(m.Grid) != 1 {
					t.Fatalf("refit L2 %v (grid %d), selected %v", m.L2, len(m.Grid), s.L2)
				}
			case *MLP:
				m := a.(*MLP)
				if m.Epochs != s.BestEpoch || m.BestEpoch != s.BestEpoch {
					t.Fatalf("refit ran %d epochs and kept %d, selected best epoch %d", m.Epochs, m.BestEpoch, s.BestEpoch)
				}
			case *GBDT:
				m := a.(*GBDT)
				if len(m.Trees) != len(s.Trees) || m.Rounds != len(s.Trees) {
					t.Fatalf("refit kept %d of %d rounds, selected %d", len(m.Trees), m.Rounds, len(s.Trees))
				}
			}
			if acc := accuracy(t, a, b.sample(5, 400)); acc < 0.8 {
				t.Fatalf("refit held-out accuracy %.3f", acc)
			}
		})
	}
	if _, ok := Refit(LogRegOptions{}, &MLP{}); ok {
		t.Fatal("Refit accepted a model of another head")
	}
}
