package onnxrt_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"quarry/internal/mltest"
	"quarry/ml/onnxgraph"
	"quarry/ml/onnxrt"
)

func openRuntime(t testing.TB) *onnxrt.Runtime {
	t.Helper()
	rt, err := onnxrt.Open(mltest.ORTLibrary(t), onnxrt.Options{IntraOpThreads: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := rt.Close(); err != nil {
			t.Error(err)
		}
	})
	return rt
}

func TestOpenMissingLibrary(t *testing.T) {
	_, err := onnxrt.Open("/nonexistent/libonnxruntime.so.1", onnxrt.Options{})
	if !errors.Is(err, onnxrt.ErrLibraryNotFound) {
		t.Fatalf("err = %v, want ErrLibraryNotFound", err)
	}
	if got, want := err.Error(), "ONNX Runtime library not found at /nonexistent/libonnxruntime.so.1: run make setup"; got != want {
		t.Fatalf("err = %q, want %q", got, want)
	}
}

func TestVersion(t *testing.T) {
	rt := openRuntime(t)
	if got := rt.Version(); !strings.HasPrefix(got, "1.") {
		t.Fatalf("version %q", got)
	}
}

// nchwBackbone: pixel_values [N,3,4,4] -> GlobalAveragePool -> features [N,3].
func nchwBackbone(t *testing.T) []byte {
	m := onnxgraph.NewModel("nchw", "test")
	g := m.Graph
	g.Inputs = []*onnxgraph.ValueInfo{onnxgraph.TensorValue("image", onnxgraph.Float,
		onnxgraph.Symbolic("n"), onnxgraph.Fixed(3), onnxgraph.Fixed(4), onnxgraph.Fixed(4))}
	g.AddNode("GlobalAveragePool", "pool", []string{"image"}, []string{"pooled"})
	g.AddNode("Flatten", "flat", []string{"pooled"}, []string{"features"}, onnxgraph.IntAttr("axis", 1))
	g.Outputs = []*onnxgraph.ValueInfo{onnxgraph.TensorValue("features", onnxgraph.Float, onnxgraph.Symbolic("n"), onnxgraph.Fixed(3))}
	b, err := onnxgraph.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// nhwcBackbone: input [N,4,4,3] -> ReduceMean over H,W -> features [N,3].
func nhwcBackbone(t *testing.T) []byte {
	m := onnxgraph.NewModel("nhwc", "test")
	g := m.Graph
	g.Inputs = []*onnxgraph.ValueInfo{onnxgraph.TensorValue("input", onnxgraph.Float,
		onnxgraph.Symbolic("n"), onnxgraph.Fixed(4), onnxgraph.Fixed(4), onnxgraph.Fixed(3))}
	g.AddNode("ReduceMean", "mean", []string{"input"}, []string{"features"},
		onnxgraph.IntsAttr("axes", 1, 2), onnxgraph.IntAttr("keepdims", 0))
	g.Outputs = []*onnxgraph.ValueInfo{onnxgraph.TensorValue("features", onnxgraph.Float, onnxgraph.Symbolic("n"), onnxgraph.Fixed(3))}
	b, err := onnxgraph.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestAppendHeadRunsInORT(t *testing.T) {
	rt := openRuntime(t)
	W := [][]float32{{0.5, -1, 2}, {1.5, 0.25, -0.75}, {-2, 1, 0.1}, {0, 0, 1}}
	b := []float32{0.1, -0.2, 0.3, 0}
	labels := []string{"a", "b", "c", "d"}
	for name, backbone := range map[string][]byte{"nchw": nchwBackbone(t), "nhwc": nhwcBackbone(t)} {
		t.Run(name, func(t *testing.T) {
			model, err := onnxgraph.AppendHead(backbone, "features", W, b, labels)
			if err != nil {
				t.Fatal(err)
			}
			s, err := rt.NewSession(model, []string{onnxgraph.PixelValues}, []string{onnxgraph.Logits})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if got, want := s.Inputs()[0].Shape, []int64{-1, 3, 4, 4}; !equal(got, want) {
				t.Fatalf("input shape %v, want %v", got, want)
			}
			const n = 5
			r := rand.New(rand.NewPCG(1, 2))
			x := make([]float32, n*3*4*4)
			for i := range x {
				x[i] = r.Float32()*2 - 1
			}
			logits, shape, err := s.Run(x, []int64{n, 3, 4, 4})
			if err != nil {
				t.Fatal(err)
			}
			if !equal(shape, []int64{n, 4}) {
				t.Fatalf("logits shape %v", shape)
			}
			for i := 0; i < n; i++ {
				f := channelMeans(x[i*48 : (i+1)*48])
				for k := range W {
					want := float64(b[k])
					for j := range f {
						want += float64(W[k][j]) * f[j]
					}
					if got := float64(logits[i*4+k]); math.Abs(got-want) > 1e-4 {
						t.Fatalf("image %d logit %d = %v, want %v", i, k, got, want)
					}
				}
			}
		})
	}
}

// channelMeans averages each channel of one NCHW [3,4,4] image.
func channelMeans(x []float32) []float64 {
	out := make([]float64, 3)
	for c := 0; c < 3; c++ {
		for _, v := range x[c*16 : (c+1)*16] {
			out[c] += float64(v)
		}
		out[c] /= 16
	}
	return out
}

func equal(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestRunRejectsBadShapes(t *testing.T) {
	rt := openRuntime(t)
	s, err := rt.NewSession(nchwBackbone(t), []string{"image"}, []string{"features"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for name, c := range map[string]struct {
		data  []float32
		shape []int64
	}{
		"rank":        {make([]float32, 48), []int64{3, 4, 4}},
		"fixed dim":   {make([]float32, 60), []int64{1, 3, 4, 5}},
		"data length": {make([]float32, 47), []int64{1, 3, 4, 4}},
		"zero batch":  {nil, []int64{0, 3, 4, 4}},
	} {
		if _, _, err := s.Run(c.data, c.shape); err == nil {
			t.Errorf("%s: Run succeeded", name)
		}
	}
	if _, err := rt.NewSession(nchwBackbone(t), []string{"nope"}, []string{"features"}); err == nil {
		t.Fatal("session with an unknown input succeeded")
	}
}

// TestNoSpinningSameResults: the server's option is accepted by ONNX
// Runtime and changes scheduling only, never results.
func TestNoSpinningSameResults(t *testing.T) {
	model := nchwBackbone(t)
	x := make([]float32, 2*3*4*4)
	for i := range x {
		x[i] = float32(i%7) / 7
	}
	var outs [2][]float32
	for i, nospin := range []bool{false, true} {
		rt, err := onnxrt.Open(mltest.ORTLibrary(t), onnxrt.Options{IntraOpThreads: 2, NoSpinning: nospin})
		if err != nil {
			t.Fatal(err)
		}
		s, err := rt.NewSession(model, []string{"image"}, []string{"features"})
		if err != nil {
			t.Fatalf("NoSpinning %t: %v", nospin, err)
		}
		if outs[i], _, err = s.Run(x, []int64{2, 3, 4, 4}); err != nil {
			t.Fatal(err)
		}
		s.Close()
		rt.Close()
	}
	if len(outs[0]) != 6 || !slices.Equal(outs[0], outs[1]) {
		t.Fatalf("outputs %v (spinning) and %v (not)", outs[0], outs[1])
	}
}
