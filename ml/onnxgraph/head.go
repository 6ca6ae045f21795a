package onnxgraph

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Names used by the published-model layout that transformers.js loads.
const (
	PixelValues = "pixel_values"
	Logits      = "logits"
	// LabelsMetadataKey is the model metadata key holding the JSON array of
	// class labels, in logit order.
	LabelsMetadataKey = "quarry.labels"
)

const (
	headWeight = "quarry_head/weight"
	headBias   = "quarry_head/bias"
)

// AppendHead appends a linear classification head to a backbone graph and
// returns the encoded model. W is [numLabels][featureDim], b is [numLabels];
// the new output `logits` [batch, numLabels] holds raw scores W·f+b (no
// softmax: transformers.js applies it). The graph's input is exposed as
// `pixel_values` in NCHW layout: an input with another name is renamed, and an
// NHWC input gets a leading Transpose. The feature output is kept as a second
// output and the labels are stored in the metadata under LabelsMetadataKey.
func AppendHead(backbone []byte, featureOutput string, W [][]float32, b []float32, labels []string) ([]byte, error) {
	dim, err := checkLayer(W, b, len(labels))
	if err != nil {
		return nil, fmt.Errorf("onnxgraph: append head: %w", err)
	}
	h := head{feature: featureOutput, dim: dim, labels: labels, names: []string{headWeight, headBias},
		add: func(m *Model) {
			addGemm(m.Graph, "quarry_head/Gemm", featureOutput, headWeight, headBias, Logits, W, b)
		}}
	return h.append(backbone)
}

// head describes what an Append* function adds to a backbone graph.
type head struct {
	feature string
	// dim is the feature dimension the head reads; minDim, when dim is 0,
	// the least dimension it needs (trees read feature indices < minDim).
	dim, minDim int
	labels      []string
	// names are the values the head defines besides Logits.
	names []string
	// add appends the nodes and initializers computing Logits from feature.
	add func(m *Model)
}

// append decodes the backbone, checks it against the head, adds the head
// and the `logits` output and encodes the result.
func (h head) append(backbone []byte) ([]byte, error) {
	m, err := Decode(backbone)
	if err != nil {
		return nil, err
	}
	g := m.Graph
	if err := h.check(g); err != nil {
		return nil, fmt.Errorf("onnxgraph: append head: %w", err)
	}
	if err := ensurePixelValues(g); err != nil {
		return nil, fmt.Errorf("onnxgraph: append head: %w", err)
	}
	h.add(m)
	batch := Symbolic("batch_size")
	if f := g.Output(h.feature); len(f.Shape) > 0 && (f.Shape[0].Param != "" || f.Shape[0].Value > 0) {
		batch = f.Shape[0]
	}
	g.Outputs = append([]*ValueInfo{TensorValue(Logits, Float, batch, Fixed(int64(len(h.labels))))}, g.Outputs...)
	js, _ := json.Marshal(h.labels)
	m.Metadata = append(m.Metadata, StringEntry{Key: LabelsMetadataKey, Value: string(js)})
	return Encode(m)
}

// check validates the head against the graph: the feature output exists
// with a matching width, and the names the head defines are free.
func (h head) check(g *Graph) error {
	if len(h.labels) == 0 {
		return errors.New("head has no classes")
	}
	out := g.Output(h.feature)
	if out == nil {
		return fmt.Errorf("backbone has no output %q", h.feature)
	}
	if out.IsTensor() && out.HasShape {
		if len(out.Shape) != 2 {
			return fmt.Errorf("output %q has rank %d, want 2", h.feature, len(out.Shape))
		}
		d := out.Shape[1].Value
		if d > 0 && h.dim > 0 && d != int64(h.dim) {
			return fmt.Errorf("output %q has %d features, head expects %d", h.feature, d, h.dim)
		}
		if d > 0 && h.minDim > 0 && d < int64(h.minDim) {
			return fmt.Errorf("output %q has %d features, head reads feature %d", h.feature, d, h.minDim-1)
		}
	}
	for _, name := range append([]string{Logits}, h.names...) {
		if g.produces(name) {
			return fmt.Errorf("backbone already defines %q", name)
		}
	}
	return nil
}

// checkLayer validates a dense layer's weights (rows x inputs) and biases
// against the expected number of rows, returning the input width.
func checkLayer(W [][]float32, b []float32, rows int) (int, error) {
	if len(W) == 0 {
		return 0, errors.New("head has no classes")
	}
	if len(b) != len(W) || rows != len(W) {
		return 0, fmt.Errorf("%d weight rows, %d biases, %d labels", len(W), len(b), rows)
	}
	dim := len(W[0])
	for i, row := range W {
		if len(row) != dim || dim == 0 {
			return 0, fmt.Errorf("weight row %d has %d values, want %d", i, len(row), dim)
		}
	}
	return dim, nil
}

// addGemm adds out = in·Wᵀ + b (Gemm transB=1) with W and b stored as the
// initializers wName and bName.
func addGemm(g *Graph, node, in, wName, bName, out string, W [][]float32, b []float32) {
	dim := len(W[0])
	flat := make([]float32, 0, len(W)*dim)
	for _, row := range W {
		flat = append(flat, row...)
	}
	g.AddInitializer(FloatTensor(wName, []int64{int64(len(W)), int64(dim)}, flat))
	g.AddInitializer(FloatTensor(bName, []int64{int64(len(W))}, b))
	g.AddNode("Gemm", node, []string{in, wName, bName}, []string{out}, IntAttr("transB", 1))
}

// produces reports whether name is a graph input, initializer or node output.
func (g *Graph) produces(name string) bool {
	if g.Input(name) != nil || g.Initializer(name) != nil {
		return true
	}
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			if o == name {
				return true
			}
		}
	}
	return false
}

// dataInputs returns the graph inputs that are not initializers (IR < 4
// models list initializers among the inputs).
func (g *Graph) dataInputs() []*ValueInfo {
	var out []*ValueInfo
	for _, in := range g.Inputs {
		if g.Initializer(in.Name) == nil {
			out = append(out, in)
		}
	}
	return out
}

// ensurePixelValues makes the graph's single image input `pixel_values`
// [batch, 3, H, W]: NCHW inputs are renamed, NHWC inputs are fed through a
// Transpose from a new NCHW input.
func ensurePixelValues(g *Graph) error {
	ins := g.dataInputs()
	if len(ins) != 1 {
		return fmt.Errorf("backbone has %d data inputs, want 1", len(ins))
	}
	in := ins[0]
	if !in.IsTensor() || len(in.Shape) != 4 {
		return fmt.Errorf("input %q is not a rank-4 tensor", in.Name)
	}
	s := in.Shape
	nhwc := s[3].Value == 3 && s[1].Value != 3
	if !nhwc {
		if s[1].Value != 3 {
			return fmt.Errorf("input %q shape %v has no 3-channel axis", in.Name, s)
		}
		if in.Name != PixelValues {
			if g.produces(PixelValues) {
				return fmt.Errorf("backbone already defines %q", PixelValues)
			}
			g.rename(in.Name, PixelValues)
			in.Name = PixelValues
		}
		return nil
	}
	if in.Name == PixelValues {
		g.rename(PixelValues, "quarry_nhwc_input")
		in.Name = "quarry_nhwc_input"
	}
	if g.produces(PixelValues) {
		return fmt.Errorf("backbone already defines %q", PixelValues)
	}
	nchw := TensorValue(PixelValues, in.ElemType, s[0], Fixed(3), s[1], s[2])
	tr := &Node{OpType: "Transpose", Name: "quarry_input/Transpose", Inputs: []string{PixelValues},
		Outputs: []string{in.Name}, Attrs: []*Attribute{IntsAttr("perm", 0, 2, 3, 1)}}
	g.Nodes = append([]*Node{tr}, g.Nodes...)
	for i, v := range g.Inputs {
		if v == in {
			g.Inputs[i] = nchw
		}
	}
	return nil
}

// rename replaces every use of a value name in the graph, its outputs and
// any subgraphs.
func (g *Graph) rename(from, to string) {
	for _, n := range g.Nodes {
		for i, s := range n.Inputs {
			if s == from {
				n.Inputs[i] = to
			}
		}
		for _, a := range n.Attrs {
			if a.G != nil {
				a.G.rename(from, to)
			}
		}
	}
	for _, v := range g.Outputs {
		if v.Name == from {
			v.Name = to
		}
	}
}
