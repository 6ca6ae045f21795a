// Package tfjs converts TensorFlow.js graph models to ONNX.
//
// It handles the op set of the MobileNetV2 graph model that npm nsfwjs@4.4.0
// ships in dist/models/mobilenet_v2_mid (Placeholder, Mul, Sub, AddV2,
// _FusedConv2D, FusedDepthwiseConv2dNative, AvgPool, Squeeze, _FusedMatMul,
// Softmax, Identity), which covers the usual TF-Hub image backbones. The
// NHWC TensorFlow graph becomes an NCHW ONNX graph (opset 13) whose input is
// `pixel_values` [batch, 3, H, W], as transformers.js feeds it, so no
// Transpose is needed: weights are transposed once at conversion time.
package tfjs

import (
	"fmt"
	"strings"

	"quarry/ml/onnxgraph"
)

// Node names in the nsfwjs MobileNetV2 graph model.
const (
	// MobileNetV2FeatureNode is the 1792-d pooled feature vector.
	MobileNetV2FeatureNode = "StatefulPartitionedCall/sequential/keras_layer/StatefulPartitionedCall/StatefulPartitionedCall/StatefulPartitionedCall/predict/feature_vector/SpatialSqueeze"
	// NSFWJSHeadNode is the package's own 5-class content-rating softmax.
	NSFWJSHeadNode = "StatefulPartitionedCall/sequential/prediction/Softmax"
	// FeaturesOutput is the ONNX output name of the backbone features.
	FeaturesOutput = "features"
	// FeatureDim is the MobileNetV2-1.4 feature size.
	FeatureDim = 1792
)

// ConvertMobileNetV2 converts the nsfwjs MobileNetV2-1.4 graph model in dir
// to an ONNX backbone: `pixel_values` [N,3,224,224] (RGB in [0,1]; the graph
// keeps TF-Hub's own x*2-1 scaling) to `features` [N,1792]. The package's
// content-rating head is dropped.
func ConvertMobileNetV2(dir string) ([]byte, error) {
	return Convert(dir, MobileNetV2FeatureNode, FeaturesOutput)
}

// Convert converts the TF.js graph model in dir to ONNX, keeping only what
// the node named output depends on; that node's value becomes the graph
// output outputName.
func Convert(dir, output, outputName string) ([]byte, error) {
	m, weights, err := loadModel(dir)
	if err != nil {
		return nil, fmt.Errorf("tfjs: load %s: %w", dir, err)
	}
	c := &converter{
		nodes:   map[string]*tfNode{},
		weights: weights,
		model:   onnxgraph.NewModel("tfjs", "quarry-tfjs"),
		shapes:  map[string][]int64{},
		names:   map[string]string{},
		output:  output,
		outName: outputName,
	}
	for _, n := range m.ModelTopology.Node {
		c.nodes[n.Name] = n
	}
	if c.nodes[output] == nil {
		return nil, fmt.Errorf("tfjs: convert: no node %q", output)
	}
	if err := c.visit(output, map[string]bool{}); err != nil {
		return nil, fmt.Errorf("tfjs: convert: %w", err)
	}
	out := append([]onnxgraph.Dim{onnxgraph.Symbolic("batch_size")}, fixedDims(c.shapes[output])...)
	g := c.model.Graph
	g.Outputs = append(g.Outputs, onnxgraph.TensorValue(outputName, onnxgraph.Float, out...))
	return onnxgraph.Encode(c.model)
}

// converter holds the state of one conversion. shapes are per-example NCHW
// shapes (no batch dimension) of converted values, by TF node name.
type converter struct {
	nodes   map[string]*tfNode
	weights map[string]*weight
	model   *onnxgraph.Model
	shapes  map[string][]int64
	names   map[string]string
	output  string
	outName string
}

func fixedDims(s []int64) []onnxgraph.Dim {
	out := make([]onnxgraph.Dim, len(s))
	for i, d := range s {
		out[i] = onnxgraph.Fixed(d)
	}
	return out
}

// inputName strips a TF input reference ("name:0", "^ctrl") to a node name.
func inputName(s string) string {
	s = strings.TrimPrefix(s, "^")
	if i := strings.LastIndexByte(s, ':'); i > 0 {
		s = s[:i]
	}
	return s
}

// visit converts a node after its inputs (depth first), so the ONNX nodes
// come out in topological order and unused nodes are left out.
func (c *converter) visit(name string, visiting map[string]bool) error {
	if _, done := c.shapes[name]; done {
		return nil
	}
	n := c.nodes[name]
	if n == nil {
		return fmt.Errorf("node %q not found", name)
	}
	if visiting[name] {
		return fmt.Errorf("cycle at %q", name)
	}
	visiting[name] = true
	for _, in := range n.Input {
		in = inputName(in)
		if in0 := c.nodes[in]; in0 != nil && in0.Op == "Const" {
			continue
		}
		if err := c.visit(in, visiting); err != nil {
			return err
		}
	}
	if err := c.convert(n); err != nil {
		return fmt.Errorf("%s (%s): %w", n.Name, n.Op, err)
	}
	return nil
}

// valueName is the ONNX name of a converted node's value: the requested
// output name for the output node, else the TF name without the long
// TF-Hub wrapper prefix.
func (c *converter) valueName(tfName string) string {
	if tfName == c.output {
		return c.outName
	}
	if i := strings.LastIndex(tfName, "/predict/"); i >= 0 {
		return tfName[i+len("/predict/"):]
	}
	return tfName
}

func (c *converter) convert(n *tfNode) error {
	switch n.Op {
	case "Placeholder":
		return c.placeholder(n)
	case "Mul", "Sub", "AddV2", "Add":
		return c.binary(n)
	case "_FusedConv2D", "FusedDepthwiseConv2dNative":
		return c.conv(n)
	case "AvgPool":
		return c.avgPool(n)
	case "Squeeze":
		return c.squeeze(n)
	case "_FusedMatMul":
		return c.matMul(n)
	case "Softmax", "Identity", "Relu", "Relu6":
		return c.unary(n)
	}
	return fmt.Errorf("op %s not supported", n.Op)
}

// emit records a node's NCHW shape and ONNX value name.
func (c *converter) emit(tfName string, shape []int64) string {
	name := c.valueName(tfName)
	c.shapes[tfName] = shape
	c.names[tfName] = name
	return name
}

// in returns the ONNX name and shape of a node's i-th (non-const) input.
func (c *converter) in(n *tfNode, i int) (string, []int64, error) {
	if i >= len(n.Input) {
		return "", nil, fmt.Errorf("missing input %d", i)
	}
	name := inputName(n.Input[i])
	s, ok := c.shapes[name]
	if !ok {
		return "", nil, fmt.Errorf("input %q is not a computed value", name)
	}
	return c.names[name], s, nil
}

// constInput returns the weight behind a node's i-th input if it is a Const.
func (c *converter) constInput(n *tfNode, i int) (*weight, string, bool) {
	if i >= len(n.Input) {
		return nil, "", false
	}
	name := inputName(n.Input[i])
	if node := c.nodes[name]; node == nil || node.Op != "Const" {
		return nil, "", false
	}
	w, ok := c.weights[name]
	return w, name, ok
}
