package onnxgraph

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"google.golang.org/protobuf/encoding/protowire"
)

// tinyModel builds pixel_values [N,3,4,4] -> GlobalAveragePool -> Flatten ->
// features [N,3].
func tinyModel() *Model {
	m := NewModel("tiny", "test")
	g := m.Graph
	g.Inputs = []*ValueInfo{TensorValue(PixelValues, Float, Symbolic("batch_size"), Fixed(3), Fixed(4), Fixed(4))}
	g.AddNode("GlobalAveragePool", "pool", []string{PixelValues}, []string{"pooled"})
	g.AddNode("Flatten", "flat", []string{"pooled"}, []string{"features"}, IntAttr("axis", 1))
	g.AddInitializer(FloatTensor("unused", []int64{2}, []float32{1.5, -2}))
	g.AddInitializer(Int64Tensor("shape", []int64{2}, []int64{-1, 3}))
	g.Outputs = []*ValueInfo{TensorValue("features", Float, Symbolic("batch_size"), Fixed(3))}
	return m
}

var allowUnexported = cmp.Options{cmp.AllowUnexported(Model{}, Graph{}, Node{}, Attribute{}, Tensor{}, ValueInfo{}),
	cmpopts.EquateEmpty()}

func TestRoundTrip(t *testing.T) {
	m := tinyModel()
	m.Graph.Nodes[0].Attrs = append(m.Graph.Nodes[0].Attrs, FloatAttr("f", 0.25), StringAttr("s", "hi"),
		IntsAttr("ints", 1, -2, 3), &Attribute{Name: "fl", Type: AttrFloats, Floats: []float32{1, 2.5}},
		&Attribute{Name: "t", Type: AttrTensor, T: FloatTensor("c", nil, []float32{3})})
	m.Metadata = []StringEntry{{Key: "k", Value: "v"}}
	data, err := Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(m, got, allowUnexported); diff != "" {
		t.Fatalf("round trip (-want +got):\n%s", diff)
	}
	again, err := Encode(got)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, again) {
		t.Fatalf("re-encoding changed the bytes (%d vs %d)", len(data), len(again))
	}
}

func TestUnknownFieldsArePreserved(t *testing.T) {
	data, err := Encode(tinyModel())
	if err != nil {
		t.Fatal(err)
	}
	// Model field 25 (functions) and graph field 15 (sparse_initializer) are
	// not modelled; they must survive a decode/encode cycle.
	extra := protowire.AppendTag(nil, 25, protowire.BytesType)
	extra = protowire.AppendBytes(extra, []byte("opaque-function"))
	data = append(data, extra...)
	m, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(out, []byte("opaque-function")) {
		t.Fatal("unknown model field dropped")
	}
}

func TestDecodePackedAndUnpacked(t *testing.T) {
	// dims unpacked (proto2 default) and packed must both decode.
	var b []byte
	b = protowire.AppendTag(b, fTensorDims, protowire.BytesType)
	b = protowire.AppendBytes(b, protowire.AppendVarint(protowire.AppendVarint(nil, 2), 3))
	b = protowire.AppendTag(b, fTensorDims, protowire.VarintType)
	b = protowire.AppendVarint(b, 4)
	var tensor Tensor
	if err := tensor.decode(b); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int64{2, 3, 4}, tensor.Dims); diff != "" {
		t.Fatal(diff)
	}
}

func TestDecodeErrors(t *testing.T) {
	for name, data := range map[string][]byte{
		"truncated": {0x3a, 0x10, 0x01},
		"no graph":  protowire.AppendVarint(protowire.AppendTag(nil, 1, protowire.VarintType), 8),
		"garbage":   []byte("not an onnx model at all"),
	} {
		if _, err := Decode(data); err == nil {
			t.Errorf("%s: Decode succeeded", name)
		}
	}
}

func TestTensorFloats(t *testing.T) {
	want := []float32{1, -2.5, 3e-8}
	raw := FloatTensor("x", []int64{3}, want)
	got, err := raw.Floats()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatal(diff)
	}
	fd := &Tensor{Name: "y", DataType: Float, Dims: []int64{3}, FloatData: want}
	if got, err = fd.Floats(); err != nil || !cmp.Equal(want, got) {
		t.Fatalf("float_data: %v %v", got, err)
	}
	if _, err := (&Tensor{DataType: Int64}).Floats(); err == nil {
		t.Fatal("int64 tensor read as floats")
	}
}

func TestAppendHeadValidation(t *testing.T) {
	base, err := Encode(tinyModel())
	if err != nil {
		t.Fatal(err)
	}
	w := [][]float32{{1, 2, 3}, {4, 5, 6}}
	cases := []struct {
		name    string
		feature string
		w       [][]float32
		b       []float32
		labels  []string
	}{
		{"no such output", "nope", w, []float32{0, 0}, []string{"a", "b"}},
		{"wrong feature dim", "features", [][]float32{{1, 2}, {3, 4}}, []float32{0, 0}, []string{"a", "b"}},
		{"bias count", "features", w, []float32{0}, []string{"a", "b"}},
		{"label count", "features", w, []float32{0, 0}, []string{"a"}},
		{"ragged", "features", [][]float32{{1, 2, 3}, {4}}, []float32{0, 0}, []string{"a", "b"}},
		{"empty", "features", nil, nil, nil},
	}
	for _, c := range cases {
		if _, err := AppendHead(base, c.feature, c.w, c.b, c.labels); err == nil {
			t.Errorf("%s: AppendHead succeeded", c.name)
		}
	}
}

func TestAppendHeadGraph(t *testing.T) {
	base, err := Encode(tinyModel())
	if err != nil {
		t.Fatal(err)
	}
	out, err := AppendHead(base, "features", [][]float32{{1, 0, 0}, {0, 1, 0}}, []float32{0.5, -0.5}, []string{"red", "green"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := Decode(out)
	if err != nil {
		t.Fatal(err)
	}
	g := m.Graph
	if got, want := g.Outputs[0].Name, Logits; got != want {
		t.Fatalf("first output %q, want %q", got, want)
	}
	if diff := cmp.Diff([]Dim{Symbolic("batch_size"), Fixed(2)}, g.Outputs[0].Shape); diff != "" {
		t.Fatalf("logits shape: %s", diff)
	}
	if g.Output("features") == nil {
		t.Fatal("features output dropped")
	}
	if got, want := m.Metadata[len(m.Metadata)-1], (StringEntry{LabelsMetadataKey, `["red","green"]`}); got != want {
		t.Fatalf("metadata %v, want %v", got, want)
	}
	if _, err := AppendHead(out, "features", [][]float32{{1, 0, 0}}, []float32{0}, []string{"x"}); err == nil {
		t.Fatal("appending a second head over `logits` succeeded")
	}
}
