package hub_test

import (
	"testing"

	"quarry/hub"
)

// TestLeaderboardCrossValidated ranks on the cross-validated value of the
// metric when every ranked candidate has one, the validation value
// breaking ties, and on the validation value otherwise.
func TestLeaderboardCrossValidated(t *testing.T) {
	for _, tc := range []struct {
		name     string
		metric   string
		metrics  map[string]map[string]float64 // by head
		want     []string
		rankedOn string
	}{
		{"cross-validated recall", "recall", map[string]map[string]float64{
			"logreg": {"recall": 0.95, "cv_recall": 0.90}, "mlp": {"recall": 0.90, "cv_recall": 0.93},
			"gbdt": {"recall": 0.99, "cv_recall": 0.91}},
			[]string{"mlp:1", "gbdt:2", "logreg:3"}, hub.RankedOnCV},
		{"one without cross-validation", "recall", map[string]map[string]float64{
			"logreg": {"recall": 0.95, "cv_recall": 0.90}, "mlp": {"recall": 0.90},
			"gbdt": {"recall": 0.99, "cv_recall": 0.91}},
			[]string{"gbdt:1", "logreg:2", "mlp:3"}, hub.RankedOnValidation},
		{"cross-validated loss, lower first", "loss", map[string]map[string]float64{
			"logreg": {"loss": 0.3, "cv_loss": 0.25}, "mlp": {"loss": 0.2, "cv_loss": 0.35},
			"gbdt": {"loss": 0.4, "cv_loss": 0.2}},
			[]string{"gbdt:1", "logreg:2", "mlp:3"}, hub.RankedOnCV},
		{"validation breaks a cross-validation tie", "f1", map[string]map[string]float64{
			"logreg": {"f1": 0.9, "cv_f1": 0.92}, "mlp": {"f1": 0.95, "cv_f1": 0.92},
			"gbdt": {"f1": 1, "cv_f1": 0.9}},
			[]string{"mlp:1", "logreg:2", "gbdt:3"}, hub.RankedOnCV},
		{"none ranked", "f1", map[string]map[string]float64{
			"logreg": {"cv_f1": 0.92}, "mlp": {}, "gbdt": {}},
			[]string{"logreg:0", "mlp:0", "gbdt:0"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newTrainEnv(t)
			st := e.create(t, hub.ProjectInput{Name: hub.RepoID{Namespace: "alice", Name: "amber"}, Dataset: e.data,
				Positive: "mine", Metric: tc.metric})
			e.waitStarted(t, 3)
			for _, head := range hub.Heads {
				e.finish(t, st, head, hub.JobSucceeded, tc.metrics[head])
			}
			got := e.get(t, st.Project.ID)
			if diff := cmpDiff(tc.want, names(got)); diff != "" {
				t.Fatalf("leaderboard (-want +got):\n%s", diff)
			}
			if got.RankedOn != tc.rankedOn {
				t.Fatalf("ranked on %q, want %q", got.RankedOn, tc.rankedOn)
			}
		})
	}
}
