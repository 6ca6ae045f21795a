package batch_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"quarry/hub"
	"quarry/infra/jobs/batch"
)

func TestParseEvent(t *testing.T) {
	for _, tc := range []struct {
		name, detail string
		id           string
		ok           bool
		want         hub.JobEvent
	}{
		{"runnable", `{"jobName":"quarry-00000000000000aa","jobId":"j1","status":"RUNNABLE"}`, "00000000000000aa", true,
			hub.JobEvent{State: hub.JobStarting}},
		{"tag wins", `{"jobName":"other","jobId":"j1","status":"RUNNING","tags":{"quarry:job":"00000000000000bb"}}`,
			"00000000000000bb", true, hub.JobEvent{State: hub.JobRunning}},
		{"succeeded", `{"jobName":"quarry-00000000000000aa","jobId":"j1","status":"SUCCEEDED","container":{"exitCode":0}}`,
			"00000000000000aa", true, hub.JobEvent{State: hub.JobSucceeded}},
		{"failed", `{"jobName":"quarry-00000000000000aa","jobId":"j1","status":"FAILED","statusReason":"Essential container in task exited","container":{"exitCode":137,"reason":"OutOfMemoryError: Container killed due to memory usage"}}`,
			"00000000000000aa", true, hub.JobEvent{State: hub.JobFailed,
				Error: "the Batch job failed: Essential container in task exited; exit code 137; OutOfMemoryError: Container killed due to memory usage"}},
		{"host gone", `{"jobName":"quarry-00000000000000aa","jobId":"j1","status":"FAILED","statusReason":"Host EC2 (instance i-0abc) terminated."}`,
			"00000000000000aa", true, hub.JobEvent{State: hub.JobFailed, Error: "the Batch job failed: Host EC2 (instance i-0abc) terminated."}},
		{"cancelled", `{"jobName":"quarry-00000000000000aa","jobId":"j1","status":"FAILED","statusReason":"Cancelled by Quarry"}`,
			"00000000000000aa", true, hub.JobEvent{State: hub.JobCancelled}},
		{"not ours", `{"jobName":"nightly-etl","jobId":"j2","status":"RUNNING"}`, "", false, hub.JobEvent{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, handle, ev, ok, err := batch.ParseEvent([]byte(tc.detail))
			if err != nil {
				t.Fatal(err)
			}
			if id != tc.id || ok != tc.ok || (ok && handle == "") {
				t.Fatalf("ParseEvent = %q, %q, ok %v; want %q, ok %v", id, handle, ok, tc.id, tc.ok)
			}
			if d := cmp.Diff(tc.want, ev); d != "" {
				t.Fatalf("event (-want +got):\n%s", d)
			}
		})
	}
	if _, _, _, _, err := batch.ParseEvent([]byte(`{`)); err == nil {
		t.Fatal("ParseEvent of bad JSON succeeded")
	}
}
