// Package onnxgraph reads, builds and writes ONNX models (the onnx.proto
// ModelProto wire format) without generated protobuf code.
//
// Only the messages Quarry needs are modelled: ModelProto, GraphProto,
// NodeProto, AttributeProto, TensorProto and ValueInfoProto (tensor types).
// Every field the package does not model is kept as raw wire bytes and written
// back unchanged, so decoding and re-encoding a model from elsewhere (with doc
// strings, subgraphs, sparse initializers, functions...) loses nothing.
package onnxgraph

// ONNX TensorProto.DataType values used by Quarry.
const (
	Float  int32 = 1
	Uint8  int32 = 2
	Int8   int32 = 3
	Int32  int32 = 6
	Int64  int32 = 7
	String int32 = 8
	Bool   int32 = 9
	Double int32 = 11
)

// AttrType is an ONNX AttributeProto.AttributeType.
type AttrType int32

// Attribute types modelled by this package; other types are preserved raw.
const (
	AttrFloat   AttrType = 1
	AttrInt     AttrType = 2
	AttrString  AttrType = 3
	AttrTensor  AttrType = 4
	AttrGraph   AttrType = 5
	AttrFloats  AttrType = 6
	AttrInts    AttrType = 7
	AttrStrings AttrType = 8
)

// Model is an ONNX ModelProto.
type Model struct {
	IRVersion       int64
	OpsetImports    []OpsetID
	ProducerName    string
	ProducerVersion string
	Domain          string
	ModelVersion    int64
	DocString       string
	Graph           *Graph
	Metadata        []StringEntry
	unknown         []byte
}

// OpsetID is an ONNX OperatorSetIdProto.
type OpsetID struct {
	Domain  string
	Version int64
}

// StringEntry is an ONNX StringStringEntryProto (model metadata_props).
type StringEntry struct {
	Key, Value string
}

// Graph is an ONNX GraphProto.
type Graph struct {
	Name         string
	Nodes        []*Node
	Initializers []*Tensor
	Inputs       []*ValueInfo
	Outputs      []*ValueInfo
	ValueInfo    []*ValueInfo
	DocString    string
	unknown      []byte
}

// Node is an ONNX NodeProto.
type Node struct {
	Name      string
	OpType    string
	Domain    string
	Inputs    []string
	Outputs   []string
	Attrs     []*Attribute
	DocString string
	unknown   []byte
}

// Attribute is an ONNX AttributeProto. Which value field is meaningful
// depends on Type.
type Attribute struct {
	Name    string
	Type    AttrType
	F       float32
	I       int64
	S       []byte
	T       *Tensor
	G       *Graph
	Floats  []float32
	Ints    []int64
	Strings [][]byte
	unknown []byte
}

// Tensor is an ONNX TensorProto. Data lives in exactly one of RawData
// (little-endian), FloatData, Int32Data or Int64Data.
type Tensor struct {
	Name      string
	DataType  int32
	Dims      []int64
	FloatData []float32
	Int32Data []int32
	Int64Data []int64
	RawData   []byte
	unknown   []byte
}

// ValueInfo is an ONNX ValueInfoProto. When the value is a tensor, ElemType
// and Shape describe it; other types are preserved raw.
type ValueInfo struct {
	Name      string
	ElemType  int32
	Shape     []Dim
	HasShape  bool
	DocString string
	rawType   []byte
	unknown   []byte
}

// Dim is one dimension of a tensor shape: a fixed Value, a symbolic Param
// (such as "batch_size"), or unknown when both are zero.
type Dim struct {
	Value int64
	Param string
}

// IsTensor reports whether v describes a tensor (as opposed to a sequence,
// map or other non-tensor type preserved raw).
func (v *ValueInfo) IsTensor() bool { return v.rawType == nil && v.ElemType != 0 }

// Attr returns the node's attribute with the given name, or nil.
func (n *Node) Attr(name string) *Attribute {
	for _, a := range n.Attrs {
		if a.Name == name {
			return a
		}
	}
	return nil
}

// Initializer returns the graph initializer with the given name, or nil.
func (g *Graph) Initializer(name string) *Tensor {
	for _, t := range g.Initializers {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// Input returns the graph input with the given name, or nil.
func (g *Graph) Input(name string) *ValueInfo { return findValue(g.Inputs, name) }

// Output returns the graph output with the given name, or nil.
func (g *Graph) Output(name string) *ValueInfo { return findValue(g.Outputs, name) }

func findValue(vs []*ValueInfo, name string) *ValueInfo {
	for _, v := range vs {
		if v.Name == name {
			return v
		}
	}
	return nil
}

// Opset returns the version imported for the default ONNX domain, or 0.
func (m *Model) Opset() int64 {
	for _, o := range m.OpsetImports {
		if o.Domain == "" || o.Domain == "ai.onnx" {
			return o.Version
		}
	}
	return 0
}
