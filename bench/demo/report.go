package main

import (
	"fmt"
	"io"
)

// report prints the human summary of res.
func report(w io.Writer, cfg *config, res *results) {
	l, t, m := res.Latency, res.Throughput, res.Memory
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	over := func(a, b float64) float64 { return 100 * (a - b) / b }
	p("Latency, one 224 px JPEG tile, %d sequential requests of each kind, taking turns in blocks of %d (each after %d untimed), ORT intra-op threads %d",
		l.Predict.N, l.Block, cfg.warm, cfg.threads)
	p("  raw Session.Run on the preprocessed tensor (this process): %s", l.Raw)
	p("  raw Session.Run after %v idle (this process):              %s", idleGap, l.RawIdle)
	p("  raw decode + preprocess + Session.Run (this process):      %s", l.RawPre)
	p("  POST run/predict (image uploaded once):                     %s", l.Predict)
	p("  POST upload + POST run/predict:                             %s", l.UploadPredict)
	p("  GET config (model resolution per request, no inference):    %s", l.Config)
	p("  overhead of run/predict over Session.Run: p50 %+.1f%%, p99 %+.1f%%  (goal: < 30%%)",
		over(l.Predict.P50, l.Raw.P50), over(l.Predict.P99, l.Raw.P99))
	p("  overhead of run/predict over decode + preprocess + Run: p50 %+.1f%%", over(l.Predict.P50, l.RawPre.P50))
	p("  overhead of run/predict over Session.Run after %v idle: p50 %+.1f%%", idleGap, over(l.Predict.P50, l.RawIdle.P50))
	p("  run/predict minus Session.Run: p50 %+.2f ms, of which decode + preprocess %+.2f ms",
		l.Predict.P50-l.Raw.P50, l.RawPre.P50-l.Raw.P50)
	p("")
	best := max(t.TJS.Sequential, t.TJS.Batched)
	p("Throughput, %d tiles (PNG, 224 px), ORT intra-op threads %d on both sides, best of %d rounds", cfg.images, cfg.threads, cfg.rounds)
	p("  Quarry HTTP API (one upload of all images, then run/predict, %d in flight): %.1f images/s  (rounds %s)",
		cfg.inflight, t.Quarry, floats(t.QuarryRounds))
	p("  transformers.js %s pipeline, one image per call:  %.1f images/s", t.TJS.Version, t.TJS.Sequential)
	p("  transformers.js %s pipeline, batches of %d:        %.1f images/s", t.TJS.Version, t.TJS.BatchSize, t.TJS.Batched)
	p("  ratio Quarry / best transformers.js: %.2fx  (goal: >= 1.5x); top-label mismatches: %d of %d",
		t.Quarry/best, t.LabelMismatch, cfg.images)
	ceiling := max(t.Raw.Sequential, t.Raw.Batched)
	p("  ceiling: bare ONNX Runtime on the preprocessed tensors (this process): %.1f images/s one per run, %.1f in batches of %d",
		t.Raw.Sequential, t.Raw.Batched, t.Raw.BatchSize)
	p("  share of the ceiling: Quarry %.0f%%, transformers.js %.0f%%; the ceiling is %.2fx transformers.js",
		100*t.Quarry/ceiling, 100*best/ceiling, ceiling/best)
	p("")
	p("Server memory (VmRSS), %d models published", m.Models)
	p("  idle, no model loaded:                 %.1f MiB", m.Idle)
	p("  %d models loaded (one predict each):    %.1f MiB", m.Models, m.Loaded)
	prev := m.Loaded
	for i, v := range m.After {
		p("  after %5d predict requests:          %.1f MiB  (%+.1f MiB)", (i+1)*m.Requests, v, v-prev)
		prev = v
	}
	p("  peak (VmHWM) over the run:             %.1f MiB", m.HWM)
}

func floats(v []float64) string {
	s := ""
	for i, x := range v {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%.1f", x)
	}
	return s
}
