package onnxgraph

import (
	"encoding/binary"
	"fmt"
	"math"
)

// DefaultOpset is the ONNX operator-set version Quarry writes (ORT 1.30 and
// transformers.js load it).
const DefaultOpset = 13

// DefaultIRVersion is the ONNX IR version Quarry writes (IR 8 goes with opset 13+).
const DefaultIRVersion = 8

// NewModel returns a model with an empty graph, IR 8 and the default-domain
// opset 13.
func NewModel(graphName, producer string) *Model {
	return &Model{
		IRVersion:    DefaultIRVersion,
		OpsetImports: []OpsetID{{Version: DefaultOpset}},
		ProducerName: producer,
		Graph:        &Graph{Name: graphName},
	}
}

// FloatTensor returns a float32 tensor stored as raw little-endian data.
// It panics if len(data) does not match dims, which is a programming error.
func FloatTensor(name string, dims []int64, data []float32) *Tensor {
	if n := numElements(dims); n != int64(len(data)) {
		panic(fmt.Sprintf("onnxgraph: tensor %s: %d values for dims %v", name, len(data), dims))
	}
	raw := make([]byte, 4*len(data))
	for i, f := range data {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(f))
	}
	return &Tensor{Name: name, DataType: Float, Dims: append([]int64{}, dims...), RawData: raw}
}

// Int64Tensor returns an int64 tensor (used for shapes and axes).
func Int64Tensor(name string, dims []int64, data []int64) *Tensor {
	return &Tensor{Name: name, DataType: Int64, Dims: append([]int64{}, dims...),
		Int64Data: append([]int64{}, data...)}
}

func numElements(dims []int64) int64 {
	n := int64(1)
	for _, d := range dims {
		n *= d
	}
	return n
}

// Floats returns the tensor's values as float32, from raw data or float_data.
func (t *Tensor) Floats() ([]float32, error) {
	if t.DataType != Float {
		return nil, fmt.Errorf("onnxgraph: tensor %s: data type %d is not float", t.Name, t.DataType)
	}
	n := numElements(t.Dims)
	if t.RawData == nil {
		if int64(len(t.FloatData)) != n {
			return nil, fmt.Errorf("onnxgraph: tensor %s: %d floats for dims %v", t.Name, len(t.FloatData), t.Dims)
		}
		return append([]float32{}, t.FloatData...), nil
	}
	if int64(len(t.RawData)) != 4*n {
		return nil, fmt.Errorf("onnxgraph: tensor %s: %d raw bytes for dims %v", t.Name, len(t.RawData), t.Dims)
	}
	out := make([]float32, n)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.RawData[4*i:]))
	}
	return out, nil
}

// IntAttr returns an INT attribute.
func IntAttr(name string, v int64) *Attribute {
	return &Attribute{Name: name, Type: AttrInt, I: v}
}

// FloatAttr returns a FLOAT attribute.
func FloatAttr(name string, v float32) *Attribute {
	return &Attribute{Name: name, Type: AttrFloat, F: v}
}

// IntsAttr returns an INTS attribute.
func IntsAttr(name string, v ...int64) *Attribute {
	return &Attribute{Name: name, Type: AttrInts, Ints: append([]int64{}, v...)}
}

// StringAttr returns a STRING attribute.
func StringAttr(name, v string) *Attribute {
	return &Attribute{Name: name, Type: AttrString, S: []byte(v)}
}

// TensorValue returns a tensor ValueInfo with the given element type and
// shape. Use a Dim with Param set for a symbolic dimension.
func TensorValue(name string, elemType int32, shape ...Dim) *ValueInfo {
	return &ValueInfo{Name: name, ElemType: elemType, Shape: append([]Dim{}, shape...), HasShape: true}
}

// Fixed returns a fixed-size dimension.
func Fixed(n int64) Dim { return Dim{Value: n} }

// Symbolic returns a named symbolic dimension such as "batch_size".
func Symbolic(name string) Dim { return Dim{Param: name} }

// AddNode appends a node to the graph and returns it.
func (g *Graph) AddNode(op, name string, inputs, outputs []string, attrs ...*Attribute) *Node {
	n := &Node{OpType: op, Name: name, Inputs: inputs, Outputs: outputs, Attrs: attrs}
	g.Nodes = append(g.Nodes, n)
	return n
}

// AddInitializer appends an initializer to the graph.
func (g *Graph) AddInitializer(t *Tensor) { g.Initializers = append(g.Initializers, t) }
