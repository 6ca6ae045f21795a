package web

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"quarry/hub"
)

// TestProjectOfCVColumns checks the leaderboard's cross-validated columns:
// the ranking metric's and accuracy's estimates with their standard
// errors lead the validation metrics, and the best is chosen by estimate
// (lowest for loss).
func TestProjectOfCVColumns(t *testing.T) {
	cand := func(name string, m map[string]float64) hub.CandidateStatus {
		return hub.CandidateStatus{Candidate: hub.Candidate{Name: name}, Job: &hub.Job{ID: name, State: hub.JobSucceeded},
			Metrics: m, Rank: 1}
	}
	for _, tc := range []struct {
		metric    string
		wantCols  []string
		wantCells [][]string // the CV cells, by row
		wantBest  [][]bool
	}{
		{"f1", []string{"CV f1 ± SE", "CV accuracy ± SE", "f1", "accuracy", "precision", "recall", "auc", "loss"},
			[][]string{{"0.9000 ± 0.0200", "0.9400 ± 0.0100"}, {"0.9200 ± 0.0300", "0.9300 ± 0.0150"}, {"", ""}},
			[][]bool{{false, true}, {true, false}, {false, false}}},
		{"accuracy", []string{"CV accuracy ± SE", "f1", "accuracy", "precision", "recall", "auc", "loss"},
			[][]string{{"0.9400 ± 0.0100"}, {"0.9300 ± 0.0150"}, {""}},
			[][]bool{{true}, {false}, {false}}},
		{"loss", []string{"CV loss ± SE", "CV accuracy ± SE", "f1", "accuracy", "precision", "recall", "auc", "loss"},
			[][]string{{"0.2000 ± 0.0300", "0.9400 ± 0.0100"}, {"0.1500 ± 0.0200", "0.9300 ± 0.0150"}, {"", ""}},
			[][]bool{{false, true}, {true, false}, {false, false}}},
	} {
		t.Run(tc.metric, func(t *testing.T) {
			st := &hub.ProjectStatus{Project: &hub.Project{Metric: tc.metric}, RankedOn: hub.RankedOnCV,
				Leaderboard: []hub.CandidateStatus{
					cand("a", map[string]float64{"f1": 0.95, "cv_f1": 0.90, "cv_f1_se": 0.02, "cv_accuracy": 0.94,
						"cv_accuracy_se": 0.01, "cv_loss": 0.2, "cv_loss_se": 0.03}),
					cand("b", map[string]float64{"f1": 0.91, "cv_f1": 0.92, "cv_f1_se": 0.03, "cv_accuracy": 0.93,
						"cv_accuracy_se": 0.015, "cv_loss": 0.15, "cv_loss_se": 0.02}),
					cand("c", map[string]float64{"f1": 0.5}),
				}}
			d := projectOf(st, "")
			var labels []string
			for _, c := range d.Columns {
				labels = append(labels, c.Label)
			}
			if diff := cmp.Diff(tc.wantCols, labels); diff != "" || d.RankedOn != hub.RankedOnCV {
				t.Fatalf("ranked on %q; columns (-want +got):\n%s", d.RankedOn, diff)
			}
			n := len(tc.wantCells[0])
			for i, r := range d.Rows {
				var cells []string
				var best []bool
				for j, c := range r.Cells[:n] {
					if c.Metric != d.Columns[j].Key {
						t.Fatalf("row %d cell %d is %s under column %s", i, j, c.Metric, d.Columns[j].Key)
					}
					cells, best = append(cells, c.Value), append(best, c.Best)
				}
				if !cmp.Equal(cells, tc.wantCells[i]) || !cmp.Equal(best, tc.wantBest[i]) {
					t.Errorf("row %d: cells %q best %v, want %q %v", i, cells, best, tc.wantCells[i], tc.wantBest[i])
				}
			}
		})
	}
}
