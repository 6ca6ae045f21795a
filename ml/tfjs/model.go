package tfjs

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
)

// graphModel is a TF.js graph model (model.json), the subset used here.
type graphModel struct {
	Format          string                   `json:"format"`
	ModelTopology   struct{ Node []*tfNode } `json:"modelTopology"`
	WeightsManifest []struct {
		Paths   []string      `json:"paths"`
		Weights []*weightSpec `json:"weights"`
	} `json:"weightsManifest"`
}

// tfNode is a TensorFlow NodeDef in TF.js JSON form.
type tfNode struct {
	Name  string            `json:"name"`
	Op    string            `json:"op"`
	Input []string          `json:"input"`
	Attr  map[string]tfAttr `json:"attr"`
}

// tfAttr is a TensorFlow AttrValue. Strings (s) are base64, as in proto JSON.
type tfAttr struct {
	S    string  `json:"s"`
	I    jsonInt `json:"i"`
	F    float64 `json:"f"`
	B    bool    `json:"b"`
	List struct {
		I []jsonInt `json:"i"`
		S []string  `json:"s"`
	} `json:"list"`
	Shape struct {
		Dim []struct {
			Size jsonInt `json:"size"`
		} `json:"dim"`
	} `json:"shape"`
}

// jsonInt is an int64 written either as a JSON number or as a string (proto
// JSON encodes int64 as strings).
type jsonInt int64

// UnmarshalJSON accepts 3 and "3".
func (v *jsonInt) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		s = string(b)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	*v = jsonInt(n)
	return err
}

// weightSpec is one entry of the weights manifest.
type weightSpec struct {
	Name         string `json:"name"`
	Shape        []int  `json:"shape"`
	Dtype        string `json:"dtype"`
	Quantization *struct {
		Min   float64 `json:"min"`
		Scale float64 `json:"scale"`
		Dtype string  `json:"dtype"`
	} `json:"quantization"`
}

// weight is a dequantized float32 weight with its TF shape.
type weight struct {
	shape []int64
	data  []float32
}

// loadModel reads a TF.js graph model from dir: either nsfwjs's bundled
// model.min.js with group*.min.js shards, or a plain model.json with binary
// shards. It returns the topology and the dequantized weights by name.
func loadModel(dir string) (*graphModel, map[string]*weight, error) {
	var m graphModel
	if err := readModelFile(dir, &m); err != nil {
		return nil, nil, err
	}
	if m.Format != "graph-model" {
		return nil, nil, fmt.Errorf("format %q is not a TF.js graph-model", m.Format)
	}
	weights := map[string]*weight{}
	for _, group := range m.WeightsManifest {
		var buf []byte
		for _, p := range group.Paths {
			b, err := readShard(dir, p)
			if err != nil {
				return nil, nil, err
			}
			buf = append(buf, b...)
		}
		if err := decodeWeights(buf, group.Weights, weights); err != nil {
			return nil, nil, err
		}
	}
	return &m, weights, nil
}

func readModelFile(dir string, m *graphModel) error {
	if b, err := os.ReadFile(filepath.Join(dir, "model.json")); err == nil {
		return json.Unmarshal(b, m)
	}
	src, err := os.ReadFile(filepath.Join(dir, "model.min.js"))
	if err != nil {
		return fmt.Errorf("no model.json or model.min.js: %w", err)
	}
	v, err := moduleValue(src)
	if err != nil {
		return fmt.Errorf("model.min.js: %w", err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, m)
}

// readShard returns the bytes of one weight shard: the binary file itself, or
// the base64 string exported by the bundled `<path>.min.js`.
func readShard(dir, path string) ([]byte, error) {
	if b, err := os.ReadFile(filepath.Join(dir, path)); err == nil {
		return b, nil
	}
	src, err := os.ReadFile(filepath.Join(dir, path+".min.js"))
	if err != nil {
		return nil, fmt.Errorf("weight shard %s: %w", path, err)
	}
	v, err := moduleValue(src)
	if err != nil {
		return nil, fmt.Errorf("weight shard %s: %w", path, err)
	}
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("weight shard %s: exports %T, want a base64 string", path, v)
	}
	return base64.StdEncoding.DecodeString(s)
}

// decodeWeights splits a weight group's concatenated shards into weights,
// dequantizing uint8/uint16 values as q*scale+min, like TF.js does.
func decodeWeights(buf []byte, specs []*weightSpec, out map[string]*weight) error {
	for _, s := range specs {
		if s.Dtype != "float32" {
			return fmt.Errorf("weight %s: dtype %s not supported", s.Name, s.Dtype)
		}
		n, shape := 1, make([]int64, len(s.Shape))
		for i, d := range s.Shape {
			n *= d
			shape[i] = int64(d)
		}
		size, get, err := reader(s)
		if err != nil {
			return err
		}
		if len(buf) < n*size {
			return fmt.Errorf("weight %s: shards too short (%d bytes left, need %d)", s.Name, len(buf), n*size)
		}
		data := make([]float32, n)
		for i := range data {
			data[i] = get(buf[i*size:])
		}
		out[s.Name] = &weight{shape: shape, data: data}
		buf = buf[n*size:]
	}
	if len(buf) != 0 {
		return errors.New("weight shards have trailing bytes")
	}
	return nil
}

// reader returns the byte size of one stored value and its decoder.
func reader(s *weightSpec) (int, func([]byte) float32, error) {
	q := s.Quantization
	if q == nil {
		return 4, func(b []byte) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(b)) }, nil
	}
	switch q.Dtype {
	case "uint8":
		return 1, func(b []byte) float32 { return float32(float64(b[0])*q.Scale + q.Min) }, nil
	case "uint16":
		return 2, func(b []byte) float32 {
			return float32(float64(binary.LittleEndian.Uint16(b))*q.Scale + q.Min)
		}, nil
	}
	return 0, nil, fmt.Errorf("weight %s: quantization %s not supported", s.Name, q.Dtype)
}
