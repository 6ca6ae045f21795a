package onnxgraph

import (
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// Decode parses an ONNX model in the wire format. Fields this package does
// not model are kept and written back by Encode.
func Decode(data []byte) (*Model, error) {
	m := &Model{}
	if err := m.decode(data); err != nil {
		return nil, fmt.Errorf("onnxgraph: decode: %w", err)
	}
	if m.Graph == nil {
		return nil, fmt.Errorf("onnxgraph: decode: model has no graph")
	}
	return m, nil
}

// field is one decoded wire field: its number, type, scalar value (varint or
// fixed), byte payload (for BytesType) and its raw encoding.
type field struct {
	num   protowire.Number
	typ   protowire.Type
	v     uint64
	bytes []byte
	raw   []byte
}

// eachField walks the fields of a message, calling fn for each one.
func eachField(b []byte, fn func(f field) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		m := protowire.ConsumeFieldValue(num, typ, b[n:])
		if m < 0 {
			return protowire.ParseError(m)
		}
		f := field{num: num, typ: typ, raw: b[:n+m]}
		val := b[n : n+m]
		switch typ {
		case protowire.VarintType:
			f.v, _ = protowire.ConsumeVarint(val)
		case protowire.Fixed32Type:
			v, _ := protowire.ConsumeFixed32(val)
			f.v = uint64(v)
		case protowire.Fixed64Type:
			f.v, _ = protowire.ConsumeFixed64(val)
		case protowire.BytesType:
			f.bytes, _ = protowire.ConsumeBytes(val)
		}
		if err := fn(f); err != nil {
			return err
		}
		b = b[n+m:]
	}
	return nil
}

func (m *Model) decode(b []byte) error {
	return eachField(b, func(f field) error {
		switch {
		case f.num == fModelIRVersion && f.typ == protowire.VarintType:
			m.IRVersion = int64(f.v)
		case f.num == fModelProducerName && f.typ == protowire.BytesType:
			m.ProducerName = string(f.bytes)
		case f.num == fModelProducerVersion && f.typ == protowire.BytesType:
			m.ProducerVersion = string(f.bytes)
		case f.num == fModelDomain && f.typ == protowire.BytesType:
			m.Domain = string(f.bytes)
		case f.num == fModelModelVersion && f.typ == protowire.VarintType:
			m.ModelVersion = int64(f.v)
		case f.num == fModelDocString && f.typ == protowire.BytesType:
			m.DocString = string(f.bytes)
		case f.num == fModelGraph && f.typ == protowire.BytesType:
			m.Graph = &Graph{}
			return m.Graph.decode(f.bytes)
		case f.num == fModelOpsetImport && f.typ == protowire.BytesType:
			var o OpsetID
			err := eachField(f.bytes, func(g field) error {
				if g.num == 1 {
					o.Domain = string(g.bytes)
				} else if g.num == 2 {
					o.Version = int64(g.v)
				}
				return nil
			})
			m.OpsetImports = append(m.OpsetImports, o)
			return err
		case f.num == fModelMetadataProps && f.typ == protowire.BytesType:
			var e StringEntry
			err := eachField(f.bytes, func(g field) error {
				if g.num == 1 {
					e.Key = string(g.bytes)
				} else if g.num == 2 {
					e.Value = string(g.bytes)
				}
				return nil
			})
			m.Metadata = append(m.Metadata, e)
			return err
		default:
			m.unknown = append(m.unknown, f.raw...)
		}
		return nil
	})
}

func (g *Graph) decode(b []byte) error {
	return eachField(b, func(f field) error {
		if f.typ != protowire.BytesType {
			g.unknown = append(g.unknown, f.raw...)
			return nil
		}
		switch f.num {
		case fGraphNode:
			n := &Node{}
			g.Nodes = append(g.Nodes, n)
			return n.decode(f.bytes)
		case fGraphName:
			g.Name = string(f.bytes)
		case fGraphInitializer:
			t := &Tensor{}
			g.Initializers = append(g.Initializers, t)
			return t.decode(f.bytes)
		case fGraphDocString:
			g.DocString = string(f.bytes)
		case fGraphInput, fGraphOutput, fGraphValueInfo:
			v := &ValueInfo{}
			switch f.num {
			case fGraphInput:
				g.Inputs = append(g.Inputs, v)
			case fGraphOutput:
				g.Outputs = append(g.Outputs, v)
			default:
				g.ValueInfo = append(g.ValueInfo, v)
			}
			return v.decode(f.bytes)
		default:
			g.unknown = append(g.unknown, f.raw...)
		}
		return nil
	})
}

func (n *Node) decode(b []byte) error {
	return eachField(b, func(f field) error {
		if f.typ != protowire.BytesType {
			n.unknown = append(n.unknown, f.raw...)
			return nil
		}
		switch f.num {
		case fNodeInput:
			n.Inputs = append(n.Inputs, string(f.bytes))
		case fNodeOutput:
			n.Outputs = append(n.Outputs, string(f.bytes))
		case fNodeName:
			n.Name = string(f.bytes)
		case fNodeOpType:
			n.OpType = string(f.bytes)
		case fNodeDomain:
			n.Domain = string(f.bytes)
		case fNodeDocString:
			n.DocString = string(f.bytes)
		case fNodeAttribute:
			a := &Attribute{}
			n.Attrs = append(n.Attrs, a)
			return a.decode(f.bytes)
		default:
			n.unknown = append(n.unknown, f.raw...)
		}
		return nil
	})
}

func (a *Attribute) decode(b []byte) error {
	return eachField(b, func(f field) error {
		switch {
		case f.num == fAttrName && f.typ == protowire.BytesType:
			a.Name = string(f.bytes)
		case f.num == fAttrType && f.typ == protowire.VarintType:
			a.Type = AttrType(f.v)
		case f.num == fAttrF && f.typ == protowire.Fixed32Type:
			a.F = math.Float32frombits(uint32(f.v))
		case f.num == fAttrI && f.typ == protowire.VarintType:
			a.I = int64(f.v)
		case f.num == fAttrS && f.typ == protowire.BytesType:
			a.S = append([]byte{}, f.bytes...)
		case f.num == fAttrT && f.typ == protowire.BytesType:
			a.T = &Tensor{}
			return a.T.decode(f.bytes)
		case f.num == fAttrG && f.typ == protowire.BytesType:
			a.G = &Graph{}
			return a.G.decode(f.bytes)
		case f.num == fAttrFloats:
			return decodeFloats(f, &a.Floats)
		case f.num == fAttrInts:
			return decodeVarints(f, func(v uint64) { a.Ints = append(a.Ints, int64(v)) })
		case f.num == fAttrStrings && f.typ == protowire.BytesType:
			a.Strings = append(a.Strings, append([]byte{}, f.bytes...))
		default:
			a.unknown = append(a.unknown, f.raw...)
		}
		return nil
	})
}

func (t *Tensor) decode(b []byte) error {
	return eachField(b, func(f field) error {
		switch {
		case f.num == fTensorDims:
			return decodeVarints(f, func(v uint64) { t.Dims = append(t.Dims, int64(v)) })
		case f.num == fTensorDataType && f.typ == protowire.VarintType:
			t.DataType = int32(f.v)
		case f.num == fTensorFloatData:
			return decodeFloats(f, &t.FloatData)
		case f.num == fTensorInt32Data:
			return decodeVarints(f, func(v uint64) { t.Int32Data = append(t.Int32Data, int32(v)) })
		case f.num == fTensorInt64Data:
			return decodeVarints(f, func(v uint64) { t.Int64Data = append(t.Int64Data, int64(v)) })
		case f.num == fTensorName && f.typ == protowire.BytesType:
			t.Name = string(f.bytes)
		case f.num == fTensorRawData && f.typ == protowire.BytesType:
			t.RawData = append([]byte{}, f.bytes...)
		default:
			t.unknown = append(t.unknown, f.raw...)
		}
		return nil
	})
}

func (v *ValueInfo) decode(b []byte) error {
	return eachField(b, func(f field) error {
		switch {
		case f.num == 1 && f.typ == protowire.BytesType:
			v.Name = string(f.bytes)
		case f.num == 2 && f.typ == protowire.BytesType:
			if !v.decodeTensorType(f.bytes) {
				v.rawType = append([]byte{}, f.bytes...)
			}
		case f.num == 3 && f.typ == protowire.BytesType:
			v.DocString = string(f.bytes)
		default:
			v.unknown = append(v.unknown, f.raw...)
		}
		return nil
	})
}

// decodeTensorType fills ElemType and Shape from a TypeProto that holds only
// a tensor_type; it reports false (leaving v unchanged) for anything else.
func (v *ValueInfo) decodeTensorType(b []byte) bool {
	var tensor []byte
	onlyTensor := true
	_ = eachField(b, func(f field) error {
		if f.num == 1 && f.typ == protowire.BytesType && tensor == nil {
			tensor = f.bytes
		} else {
			onlyTensor = false
		}
		return nil
	})
	if tensor == nil || !onlyTensor {
		return false
	}
	var elem int32
	var shape []Dim
	hasShape, ok := false, true
	err := eachField(tensor, func(f field) error {
		switch {
		case f.num == 1 && f.typ == protowire.VarintType:
			elem = int32(f.v)
		case f.num == 2 && f.typ == protowire.BytesType:
			hasShape = true
			return eachField(f.bytes, func(d field) error {
				if d.num != 1 || d.typ != protowire.BytesType {
					ok = false
					return nil
				}
				shape = append(shape, decodeDim(d.bytes, &ok))
				return nil
			})
		default:
			ok = false
		}
		return nil
	})
	if err != nil || !ok {
		return false
	}
	v.ElemType, v.Shape, v.HasShape = elem, shape, hasShape
	return true
}

func decodeDim(b []byte, ok *bool) Dim {
	var d Dim
	_ = eachField(b, func(f field) error {
		switch {
		case f.num == 1 && f.typ == protowire.VarintType:
			d.Value = int64(f.v)
		case f.num == 2 && f.typ == protowire.BytesType:
			d.Param = string(f.bytes)
		default:
			*ok = false // denotation or unknown: keep the whole type raw
		}
		return nil
	})
	return d
}

// decodeFloats reads a repeated float field, packed or not.
func decodeFloats(f field, dst *[]float32) error {
	switch f.typ {
	case protowire.Fixed32Type:
		*dst = append(*dst, math.Float32frombits(uint32(f.v)))
	case protowire.BytesType:
		if len(f.bytes)%4 != 0 {
			return fmt.Errorf("packed floats: %d bytes", len(f.bytes))
		}
		for b := f.bytes; len(b) > 0; b = b[4:] {
			v, _ := protowire.ConsumeFixed32(b)
			*dst = append(*dst, math.Float32frombits(v))
		}
	default:
		return fmt.Errorf("floats: wire type %d", f.typ)
	}
	return nil
}

// decodeVarints reads a repeated varint field, packed or not.
func decodeVarints(f field, add func(uint64)) error {
	switch f.typ {
	case protowire.VarintType:
		add(f.v)
	case protowire.BytesType:
		for b := f.bytes; len(b) > 0; {
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return protowire.ParseError(n)
			}
			add(v)
			b = b[n:]
		}
	default:
		return fmt.Errorf("varints: wire type %d", f.typ)
	}
	return nil
}
