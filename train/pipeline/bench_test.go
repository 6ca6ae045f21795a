package pipeline_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"quarry/internal/mltest"
	"quarry/train/pipeline"
)

// tileFiles lists the image files of a generated tile set.
func tileFiles(tb testing.TB, dir string) []string {
	tb.Helper()
	var files []string
	for _, label := range []string{"mine", "no_mine"} {
		entries, err := os.ReadDir(filepath.Join(dir, label))
		if err != nil {
			tb.Fatal(err)
		}
		for _, e := range entries {
			files = append(files, filepath.Join(dir, label, e.Name()))
		}
	}
	return files
}

// BenchmarkFeaturesThroughput compares feature extraction through the
// pipeline (read, decode, preprocess, ONNX Runtime) with raw ONNX Runtime
// batches of the same images (issue 5, performance line 1: goal >= 0.9).
func BenchmarkFeaturesThroughput(b *testing.B) {
	rt, backbone := openRuntime(b), mltest.BackboneDir(b)
	files := tileFiles(b, tileSet(b, 60))
	var ratio, piped, raw, pipedCPU, rawCPU float64
	for i := 0; i < b.N; i++ {
		tp, err := pipeline.FeaturesThroughput(context.Background(), rt, backbone, files, 0, 0)
		if err != nil {
			b.Fatal(err)
		}
		ratio, piped, raw = ratio+tp.Ratio, piped+tp.Pipeline, raw+tp.Raw
		pipedCPU, rawCPU = pipedCPU+tp.PipelineCPU.Seconds()*1e3, rawCPU+tp.RawCPU.Seconds()*1e3
	}
	n := float64(b.N)
	b.ReportMetric(ratio/n, "ratio")
	b.ReportMetric(piped/n, "pipeline-img/s")
	b.ReportMetric(raw/n, "raw-img/s")
	b.ReportMetric(pipedCPU/n, "pipeline-cpu-ms/img")
	b.ReportMetric(rawCPU/n, "raw-cpu-ms/img")
}
