package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"quarry/ml/modelrepo"
)

// flagLine is one line of flagged/log.jsonl in a flag dataset.
type flagLine struct {
	Time       string    `json:"time"`
	Model      string    `json:"model"`
	Revision   string    `json:"revision"`
	Image      string    `json:"image"`
	Label      string    `json:"label"`
	Prediction demoLabel `json:"prediction"`
	FlaggedBy  string    `json:"flagged_by"`
}

// demoFlag uploads img to the demo at root, predicts, and flags it with
// label as c; it returns the prediction and the flag's response.
func demoFlag(t *testing.T, c *client, root string, img []byte, label string) (*demoLabel, *response) {
	t.Helper()
	pred := demoPredict(t, c, root, "tile.png", img, nil)
	_, path, err := demoUpload(c, root, "tile.png", img, nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{"path": path, "label": label, "prediction": pred})
	r, err := sendWith(c, "POST", root+"/flag", "application/json", body, nil)
	if err != nil {
		t.Fatal(err)
	}
	return pred, r
}

// flagLog reads a flag dataset's log as c.
func flagLog(t *testing.T, c *client, dataset string) []flagLine {
	t.Helper()
	var out []flagLine
	for _, line := range strings.Split(strings.TrimSpace(string(c.resolve("datasets/"+dataset, "flagged/log.jsonl"))), "\n") {
		var l flagLine
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, l)
	}
	return out
}

// lastAuthor returns the author of the head commit of a dataset.
func lastAuthor(t *testing.T, c *client, dataset string) string {
	t.Helper()
	r := c.mustDo(200, "GET", "/api/datasets/"+dataset+"/commits/main?limit=1", "", nil)
	var commits []struct {
		Authors []struct{ User string } `json:"authors"`
	}
	if err := json.Unmarshal(r.Body, &commits); err != nil || len(commits) == 0 || len(commits[0].Authors) == 0 {
		t.Fatalf("commits of %s: %v %s", dataset, err, truncate(r.Body))
	}
	return commits[0].Authors[0].User
}

// TestDemoFlagging is acceptance 5: the Flag action of the demo page (POST
// ROOT/flag) commits the image (LFS, under flagged/images/) and a JSON line
// of metadata (flagged/log.jsonl) to the dataset the model card names in
// demo.flag_dataset. An anonymous reader's flag is committed through the
// model's namespace into its own dataset (created private); a reader who
// may write the dataset commits as themselves; nobody may flag into another
// namespace's dataset without write access there.
func TestDemoFlagging(t *testing.T) {
	ortLib := demoRuntime(t)
	s, owner := newHubEnv(t, "flagger", demoEnv(ortLib))
	labels := []string{"mine", "no_mine", "water"}
	card := func(ds string) modelrepo.Options {
		return modelrepo.Options{CardData: map[string]any{"demo": map[string]any{"flag_dataset": ds}}}
	}
	publishClassifier(t, s, owner, "mines", labels, 5, card("flagger/flags"), nil)
	root := s.URL + "/flagger/mines/demo"
	if page := owner.mustDo(200, "GET", "/flagger/mines/demo/", "", nil); !strings.Contains(string(page.Body), `id="flag"`) {
		t.Fatal("the demo page has no Flag form")
	}
	anon := &client{t: t, base: s.URL}
	img := pngOf(t, pattern(300, 200))
	pred, r := demoFlag(t, anon, root, img, "water")
	if r.Status != 200 || !strings.Contains(string(r.Body), `"dataset":"flagger/flags"`) {
		t.Fatalf("anonymous flag: %s", describeResponse(r, nil))
	}
	// The dataset was created private, holding the flag.
	if r, err := anon.do("GET", s.URL+"/api/datasets/flagger/flags", "", nil, false); err != nil || r.Status != http.StatusUnauthorized {
		t.Fatalf("anonymous GET of the flag dataset: %s, want 401", describeResponse(r, err))
	}
	log := flagLog(t, owner, "flagger/flags")
	head := owner.head("flagger/mines")
	if len(log) != 1 || log[0].Model != "flagger/mines" || log[0].Revision != head || log[0].Label != "water" ||
		log[0].FlaggedBy != "" || log[0].Prediction.Label != pred.Label || log[0].Time == "" ||
		!strings.HasPrefix(log[0].Image, "flagged/images/") || !strings.HasSuffix(log[0].Image, ".png") {
		t.Fatalf("log %+v (model head %s, prediction %+v)", log, head, pred)
	}
	if got := owner.resolve("datasets/flagger/flags", log[0].Image); string(got) != string(img) {
		t.Fatalf("flagged image: %d bytes, want the %d uploaded", len(got), len(img))
	}
	if got := lastAuthor(t, owner, "flagger/flags"); got != "flagger" {
		t.Fatalf("anonymous flag committed by %q, want the model's namespace", got)
	}

	// A signed-in reader who may write the dataset commits as themselves;
	// the log grows by one line.
	bob := &client{t: t, base: s.URL, token: createUser(t, s.Data, "bob"), user: "bob"}
	quarryCLI(t, s.Data, "repo", "grant", "--type", "dataset", "flagger/flags", "--user", "bob", "--role", "write")
	if _, r := demoFlag(t, bob, root, pngOf(t, pattern(100, 100)), "mine"); r.Status != 200 {
		t.Fatalf("bob's flag: %s", describeResponse(r, nil))
	}
	if log = flagLog(t, owner, "flagger/flags"); len(log) != 2 || log[1].FlaggedBy != "bob" || log[1].Label != "mine" {
		t.Fatalf("log after bob's flag: %+v", log)
	}
	if got := lastAuthor(t, owner, "flagger/flags"); got != "bob" {
		t.Fatalf("bob's flag committed by %q", got)
	}

	// A card naming someone else's dataset lends no write access to it.
	bob.mustDo(200, "POST", "/api/repos/create", "application/json", []byte(`{"name":"data","organization":"bob","type":"dataset"}`))
	publishClassifier(t, s, owner, "sneaky", labels, 5, card("bob/data"), nil)
	sneaky := s.URL + "/flagger/sneaky/demo"
	for _, tc := range []struct {
		who  string
		c    *client
		want int
	}{{"anonymous", anon, 401}, {"flagger", owner, 403}, {"bob", bob, 200}} {
		if _, r := demoFlag(t, tc.c, sneaky, img, "mine"); r.Status != tc.want {
			t.Errorf("%s flags into bob/data: %s, want %d", tc.who, describeResponse(r, nil), tc.want)
		}
	}
	if log := flagLog(t, bob, "bob/data"); len(log) != 1 || log[0].FlaggedBy != "bob" || log[0].Model != "flagger/sneaky" {
		t.Fatalf("bob/data log: %+v", log)
	}
}
