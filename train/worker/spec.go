package worker

import (
	"fmt"
	"strconv"
	"strings"
)

// Environment variables of a training task (besides the hub's
// QUARRY_JOB_ID, QUARRY_ENDPOINT and QUARRY_JOB_TOKEN).
const (
	EnvDataset      = "QUARRY_TRAIN_DATASET"       // dataset repo "ns/name"
	EnvRevision     = "QUARRY_TRAIN_REVISION"      // dataset commit
	EnvBase         = "QUARRY_TRAIN_BASE"          // base model repo "ns/name"
	EnvHead         = "QUARRY_TRAIN_HEAD"          // logreg | mlp | gbdt
	EnvOutput       = "QUARRY_TRAIN_OUTPUT"        // output model repo "ns/name"
	EnvPositive     = "QUARRY_TRAIN_POSITIVE"      // positive label or ""
	EnvMetric       = "QUARRY_TRAIN_METRIC"        // ranking metric
	EnvTargetRecall = "QUARRY_TRAIN_TARGET_RECALL" // "" or a float in (0, 1]
	EnvSeed         = "QUARRY_TRAIN_SEED"          // unsigned integer
	EnvSynthetic    = "QUARRY_TRAIN_SYNTHETIC"     // "1" for synthetic data
	EnvProject      = "QUARRY_TRAIN_PROJECT"       // project "ns/name": the published model id
	EnvCandidate    = "QUARRY_TRAIN_CANDIDATE"     // candidate name within the project
	EnvORTLib       = "QUARRY_ORT_LIB"             // ONNX Runtime library
	EnvORTThreads   = "QUARRY_ORT_THREADS"         // intra-op threads (0: one per core)

	envJobID    = "QUARRY_JOB_ID"
	envEndpoint = "QUARRY_ENDPOINT"
	envJobToken = "QUARRY_JOB_TOKEN"
)

// Spec is what a training task is asked to do.
type Spec struct {
	JobID, Endpoint, Token string
	Dataset, Revision      string
	Base, Head, Output     string
	Positive, Metric       string
	Project, Candidate     string
	TargetRecall           float64
	Seed                   uint64
	Synthetic              bool
	Threads                int
}

// jobSpec reads the hub's variables; without them nothing can be reported.
func jobSpec(getenv func(string) string) (Spec, error) {
	s := Spec{JobID: getenv(envJobID), Endpoint: strings.TrimRight(getenv(envEndpoint), "/"), Token: getenv(envJobToken)}
	for k, v := range map[string]string{envJobID: s.JobID, envEndpoint: s.Endpoint, envJobToken: s.Token} {
		if v == "" {
			return s, fmt.Errorf("%s is not set: train-worker runs as a job task of the hub", k)
		}
	}
	return s, nil
}

// trainSpec reads the training variables into s.
func trainSpec(s Spec, getenv func(string) string) (Spec, error) {
	s.Dataset, s.Revision = getenv(EnvDataset), getenv(EnvRevision)
	s.Base, s.Head, s.Output = getenv(EnvBase), getenv(EnvHead), getenv(EnvOutput)
	s.Positive, s.Metric = getenv(EnvPositive), getenv(EnvMetric)
	s.Project, s.Candidate = getenv(EnvProject), getenv(EnvCandidate)
	s.Synthetic = getenv(EnvSynthetic) == "1" || strings.EqualFold(getenv(EnvSynthetic), "true")
	for k, v := range map[string]string{EnvDataset: s.Dataset, EnvBase: s.Base, EnvHead: s.Head, EnvOutput: s.Output} {
		if v == "" {
			return s, fmt.Errorf("%s is not set", k)
		}
		if !strings.Contains(v, "/") && k != EnvHead {
			return s, fmt.Errorf("%s=%q is not a repo id ns/name", k, v)
		}
	}
	var err error
	if v := getenv(EnvTargetRecall); v != "" {
		if s.TargetRecall, err = strconv.ParseFloat(v, 64); err != nil || s.TargetRecall <= 0 || s.TargetRecall > 1 {
			return s, fmt.Errorf("%s=%q: want a number in (0, 1]", EnvTargetRecall, v)
		}
	}
	if v := getenv(EnvSeed); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return s, fmt.Errorf("%s=%q: want an integer", EnvSeed, v)
		}
		s.Seed = uint64(n)
	}
	if v := getenv(EnvORTThreads); v != "" {
		if s.Threads, err = strconv.Atoi(v); err != nil || s.Threads < 0 {
			return s, fmt.Errorf("%s=%q: want a non-negative integer", EnvORTThreads, v)
		}
	}
	return s, nil
}

// candidateName is the candidate's name in its project, else the output
// repo's name ("amber-mines-logreg").
func (s Spec) candidateName() string {
	if s.Candidate != "" {
		return s.Candidate
	}
	_, name, _ := strings.Cut(s.Output, "/")
	return name
}
