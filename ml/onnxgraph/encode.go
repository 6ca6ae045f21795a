package onnxgraph

import (
	"errors"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// Field numbers from onnx.proto.
const (
	fModelIRVersion       = 1
	fModelProducerName    = 2
	fModelProducerVersion = 3
	fModelDomain          = 4
	fModelModelVersion    = 5
	fModelDocString       = 6
	fModelGraph           = 7
	fModelOpsetImport     = 8
	fModelMetadataProps   = 14

	fGraphNode        = 1
	fGraphName        = 2
	fGraphInitializer = 5
	fGraphDocString   = 10
	fGraphInput       = 11
	fGraphOutput      = 12
	fGraphValueInfo   = 13

	fNodeInput     = 1
	fNodeOutput    = 2
	fNodeName      = 3
	fNodeOpType    = 4
	fNodeAttribute = 5
	fNodeDocString = 6
	fNodeDomain    = 7

	fAttrName    = 1
	fAttrF       = 2
	fAttrI       = 3
	fAttrS       = 4
	fAttrT       = 5
	fAttrG       = 6
	fAttrFloats  = 7
	fAttrInts    = 8
	fAttrStrings = 9
	fAttrType    = 20

	fTensorDims      = 1
	fTensorDataType  = 2
	fTensorFloatData = 4
	fTensorInt32Data = 5
	fTensorInt64Data = 7
	fTensorName      = 8
	fTensorRawData   = 9
)

// Encode serializes m in the ONNX wire format.
func Encode(m *Model) ([]byte, error) {
	if m == nil || m.Graph == nil {
		return nil, errors.New("onnxgraph: encode: model has no graph")
	}
	return m.append(nil), nil
}

func appendVarintField(b []byte, num protowire.Number, v uint64) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func appendStringField(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func appendMessage(b []byte, num protowire.Number, body []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, body)
}

func (m *Model) append(b []byte) []byte {
	b = appendVarintField(b, fModelIRVersion, uint64(m.IRVersion))
	b = appendStringField(b, fModelProducerName, m.ProducerName)
	b = appendStringField(b, fModelProducerVersion, m.ProducerVersion)
	b = appendStringField(b, fModelDomain, m.Domain)
	if m.ModelVersion != 0 {
		b = appendVarintField(b, fModelModelVersion, uint64(m.ModelVersion))
	}
	b = appendStringField(b, fModelDocString, m.DocString)
	b = appendMessage(b, fModelGraph, m.Graph.append(nil))
	for _, o := range m.OpsetImports {
		var ob []byte
		ob = appendStringField(ob, 1, o.Domain)
		ob = appendVarintField(ob, 2, uint64(o.Version))
		b = appendMessage(b, fModelOpsetImport, ob)
	}
	for _, e := range m.Metadata {
		var eb []byte
		eb = appendStringField(eb, 1, e.Key)
		eb = appendStringField(eb, 2, e.Value)
		b = appendMessage(b, fModelMetadataProps, eb)
	}
	return append(b, m.unknown...)
}

func (g *Graph) append(b []byte) []byte {
	for _, n := range g.Nodes {
		b = appendMessage(b, fGraphNode, n.append(nil))
	}
	b = appendStringField(b, fGraphName, g.Name)
	for _, t := range g.Initializers {
		b = appendMessage(b, fGraphInitializer, t.append(nil))
	}
	b = appendStringField(b, fGraphDocString, g.DocString)
	for _, v := range g.Inputs {
		b = appendMessage(b, fGraphInput, v.append(nil))
	}
	for _, v := range g.Outputs {
		b = appendMessage(b, fGraphOutput, v.append(nil))
	}
	for _, v := range g.ValueInfo {
		b = appendMessage(b, fGraphValueInfo, v.append(nil))
	}
	return append(b, g.unknown...)
}

func (n *Node) append(b []byte) []byte {
	for _, s := range n.Inputs {
		b = protowire.AppendTag(b, fNodeInput, protowire.BytesType)
		b = protowire.AppendString(b, s)
	}
	for _, s := range n.Outputs {
		b = protowire.AppendTag(b, fNodeOutput, protowire.BytesType)
		b = protowire.AppendString(b, s)
	}
	b = appendStringField(b, fNodeName, n.Name)
	b = appendStringField(b, fNodeOpType, n.OpType)
	for _, a := range n.Attrs {
		b = appendMessage(b, fNodeAttribute, a.append(nil))
	}
	b = appendStringField(b, fNodeDocString, n.DocString)
	b = appendStringField(b, fNodeDomain, n.Domain)
	return append(b, n.unknown...)
}

func (a *Attribute) append(b []byte) []byte {
	b = appendStringField(b, fAttrName, a.Name)
	switch a.Type {
	case AttrFloat:
		b = protowire.AppendTag(b, fAttrF, protowire.Fixed32Type)
		b = protowire.AppendFixed32(b, math.Float32bits(a.F))
	case AttrInt:
		b = appendVarintField(b, fAttrI, uint64(a.I))
	case AttrString:
		b = protowire.AppendTag(b, fAttrS, protowire.BytesType)
		b = protowire.AppendBytes(b, a.S)
	case AttrTensor:
		if a.T != nil {
			b = appendMessage(b, fAttrT, a.T.append(nil))
		}
	case AttrGraph:
		if a.G != nil {
			b = appendMessage(b, fAttrG, a.G.append(nil))
		}
	case AttrFloats:
		for _, f := range a.Floats {
			b = protowire.AppendTag(b, fAttrFloats, protowire.Fixed32Type)
			b = protowire.AppendFixed32(b, math.Float32bits(f))
		}
	case AttrInts:
		for _, i := range a.Ints {
			b = appendVarintField(b, fAttrInts, uint64(i))
		}
	case AttrStrings:
		for _, s := range a.Strings {
			b = protowire.AppendTag(b, fAttrStrings, protowire.BytesType)
			b = protowire.AppendBytes(b, s)
		}
	}
	b = appendVarintField(b, fAttrType, uint64(a.Type))
	return append(b, a.unknown...)
}

func (t *Tensor) append(b []byte) []byte {
	for _, d := range t.Dims {
		b = appendVarintField(b, fTensorDims, uint64(d))
	}
	b = appendVarintField(b, fTensorDataType, uint64(t.DataType))
	if len(t.FloatData) > 0 {
		body := make([]byte, 0, 4*len(t.FloatData))
		for _, f := range t.FloatData {
			body = protowire.AppendFixed32(body, math.Float32bits(f))
		}
		b = appendMessage(b, fTensorFloatData, body)
	}
	if len(t.Int32Data) > 0 {
		var body []byte
		for _, v := range t.Int32Data {
			body = protowire.AppendVarint(body, uint64(int64(v)))
		}
		b = appendMessage(b, fTensorInt32Data, body)
	}
	if len(t.Int64Data) > 0 {
		var body []byte
		for _, v := range t.Int64Data {
			body = protowire.AppendVarint(body, uint64(v))
		}
		b = appendMessage(b, fTensorInt64Data, body)
	}
	b = appendStringField(b, fTensorName, t.Name)
	if t.RawData != nil {
		b = protowire.AppendTag(b, fTensorRawData, protowire.BytesType)
		b = protowire.AppendBytes(b, t.RawData)
	}
	return append(b, t.unknown...)
}

func (v *ValueInfo) append(b []byte) []byte {
	b = appendStringField(b, 1, v.Name)
	typ := v.rawType
	if typ == nil && v.ElemType != 0 {
		typ = appendMessage(nil, 1, v.tensorType()) // TypeProto.tensor_type
	}
	if typ != nil {
		b = appendMessage(b, 2, typ)
	}
	b = appendStringField(b, 3, v.DocString)
	return append(b, v.unknown...)
}

// tensorType encodes a TypeProto.Tensor: elem_type = 1, shape = 2.
func (v *ValueInfo) tensorType() []byte {
	b := appendVarintField(nil, 1, uint64(v.ElemType))
	if !v.HasShape && len(v.Shape) == 0 {
		return b
	}
	var shape []byte
	for _, d := range v.Shape {
		var db []byte
		switch {
		case d.Param != "":
			db = appendStringField(db, 2, d.Param)
		case d.Value > 0:
			db = appendVarintField(db, 1, uint64(d.Value))
		}
		shape = appendMessage(shape, 1, db)
	}
	return appendMessage(b, 2, shape)
}
