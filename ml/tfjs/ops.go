package tfjs

import (
	"encoding/base64"
	"fmt"

	og "quarry/ml/onnxgraph"
)

// attrString decodes a base64 string attribute (TF proto JSON).
func attrString(n *tfNode, key string) (string, error) {
	b, err := base64.StdEncoding.DecodeString(n.Attr[key].S)
	return string(b), err
}

// attrInts returns a list(int) attribute, or def when absent.
func attrInts(n *tfNode, key string, def ...int64) []int64 {
	a, ok := n.Attr[key]
	if !ok || len(a.List.I) == 0 {
		return def
	}
	out := make([]int64, len(a.List.I))
	for i, v := range a.List.I {
		out[i] = int64(v)
	}
	return out
}

// fusedOps decodes a fused op list such as ["BiasAdd", "Relu6"] and returns
// the activation after BiasAdd ("" when none).
func fusedOps(n *tfNode) (string, error) {
	var ops []string
	for _, s := range n.Attr["fused_ops"].List.S {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return "", err
		}
		ops = append(ops, string(b))
	}
	if len(ops) == 0 || ops[0] != "BiasAdd" || len(ops) > 2 {
		return "", fmt.Errorf("fused ops %q not supported (want BiasAdd[, Relu|Relu6])", ops)
	}
	if len(ops) == 2 && ops[1] != "Relu" && ops[1] != "Relu6" {
		return "", fmt.Errorf("fused activation %q not supported", ops[1])
	}
	if len(ops) == 2 {
		return ops[1], nil
	}
	return "", nil
}

func (c *converter) placeholder(n *tfNode) error {
	dims := n.Attr["shape"].Shape.Dim
	if len(dims) != 4 {
		return fmt.Errorf("input rank %d, want 4 (NHWC)", len(dims))
	}
	h, w, ch := int64(dims[1].Size), int64(dims[2].Size), int64(dims[3].Size)
	if h <= 0 || w <= 0 || ch <= 0 {
		return fmt.Errorf("input shape %v must have fixed H, W, C", dims)
	}
	c.shapes[n.Name] = []int64{ch, h, w}
	c.names[n.Name] = og.PixelValues
	c.model.Graph.Inputs = append(c.model.Graph.Inputs, og.TensorValue(og.PixelValues, og.Float,
		og.Symbolic("batch_size"), og.Fixed(ch), og.Fixed(h), og.Fixed(w)))
	return nil
}

// binary converts an element-wise op; a Const operand becomes an
// initializer, reshaped from NHWC channel-last broadcasting to NCHW.
func (c *converter) binary(n *tfNode) error {
	ops := map[string]string{"Mul": "Mul", "Sub": "Sub", "AddV2": "Add", "Add": "Add"}
	var names []string
	var shape []int64
	for i := 0; i < 2; i++ {
		if w, wname, ok := c.constInput(n, i); ok {
			names = append(names, c.addConst(wname, w))
			continue
		}
		name, s, err := c.in(n, i)
		if err != nil {
			return err
		}
		if shape != nil && !equal(shape, s) {
			return fmt.Errorf("operand shapes %v and %v differ", shape, s)
		}
		names, shape = append(names, name), s
	}
	if shape == nil {
		return fmt.Errorf("both operands are constants")
	}
	for _, w := range []int{0, 1} {
		if wt, _, ok := c.constInput(n, w); ok && !broadcastable(wt.shape, shape) {
			return fmt.Errorf("constant shape %v does not broadcast to %v", wt.shape, shape)
		}
	}
	c.model.Graph.AddNode(ops[n.Op], c.valueName(n.Name), names, []string{c.emit(n.Name, shape)})
	return nil
}

// broadcastable accepts scalars and per-channel vectors.
func broadcastable(w, x []int64) bool {
	return len(w) == 0 || (len(w) == 1 && len(x) > 0 && (w[0] == x[0] || w[0] == 1))
}

// addConst adds a small constant as an initializer: a per-channel vector
// [C] becomes [C,1,1] so it broadcasts over NCHW.
func (c *converter) addConst(tfName string, w *weight) string {
	name := c.valueName(tfName)
	if c.model.Graph.Initializer(name) != nil {
		return name
	}
	dims := w.shape
	if len(dims) == 1 {
		dims = []int64{dims[0], 1, 1}
	}
	c.model.Graph.AddInitializer(og.FloatTensor(name, dims, w.data))
	return name
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

// activation appends Relu or Relu6 (as Clip(0,6)) after value in and returns
// the activated value's name.
func (c *converter) activation(kind, node, in, out string) {
	g := c.model.Graph
	switch kind {
	case "Relu":
		g.AddNode("Relu", node, []string{in}, []string{out})
	case "Relu6":
		if g.Initializer("const/zero") == nil {
			g.AddInitializer(og.FloatTensor("const/zero", nil, []float32{0}))
			g.AddInitializer(og.FloatTensor("const/six", nil, []float32{6}))
		}
		g.AddNode("Clip", node, []string{in, "const/zero", "const/six"}, []string{out})
	}
}

func (c *converter) unary(n *tfNode) error {
	in, shape, err := c.in(n, 0)
	if err != nil {
		return err
	}
	out := c.emit(n.Name, shape)
	switch n.Op {
	case "Softmax":
		c.model.Graph.AddNode("Softmax", out, []string{in}, []string{out}, og.IntAttr("axis", -1))
	case "Identity":
		c.model.Graph.AddNode("Identity", out, []string{in}, []string{out})
	default:
		c.activation(n.Op, out, in, out)
	}
	return nil
}

func (c *converter) avgPool(n *tfNode) error {
	in, s, err := c.in(n, 0)
	if err != nil {
		return err
	}
	k := attrInts(n, "ksize")
	st := attrInts(n, "strides", 1, 1, 1, 1)
	pad, err := attrString(n, "padding")
	if err != nil || len(s) != 3 || len(k) != 4 || len(st) != 4 {
		return fmt.Errorf("bad attributes (ksize %v, strides %v, input %v)", k, st, s)
	}
	if pad != "VALID" {
		return fmt.Errorf("padding %q not supported", pad)
	}
	if k[1] == s[1] && k[2] == s[2] {
		out := c.emit(n.Name, []int64{s[0], 1, 1})
		c.model.Graph.AddNode("GlobalAveragePool", out, []string{in}, []string{out})
		return nil
	}
	h, w := (s[1]-k[1])/st[1]+1, (s[2]-k[2])/st[2]+1
	out := c.emit(n.Name, []int64{s[0], h, w})
	c.model.Graph.AddNode("AveragePool", out, []string{in}, []string{out},
		og.IntsAttr("kernel_shape", k[1], k[2]), og.IntsAttr("strides", st[1], st[2]))
	return nil
}

// squeeze supports the pooled-features case: NHWC [N,1,1,C] squeezed on
// axes 1 and 2, i.e. Flatten of NCHW [N,C,1,1].
func (c *converter) squeeze(n *tfNode) error {
	in, s, err := c.in(n, 0)
	if err != nil {
		return err
	}
	axes := attrInts(n, "squeeze_dims")
	if len(s) != 3 || s[1] != 1 || s[2] != 1 || len(axes) != 2 || axes[0] != 1 || axes[1] != 2 {
		return fmt.Errorf("only squeezing H=W=1 is supported (axes %v, shape %v)", axes, s)
	}
	out := c.emit(n.Name, []int64{s[0]})
	c.model.Graph.AddNode("Flatten", out, []string{in}, []string{out}, og.IntAttr("axis", 1))
	return nil
}

func (c *converter) matMul(n *tfNode) error {
	in, s, err := c.in(n, 0)
	if err != nil {
		return err
	}
	w, wname, ok1 := c.constInput(n, 1)
	b, bname, ok2 := c.constInput(n, 2)
	act, err := fusedOps(n)
	if err != nil || !ok1 || !ok2 || len(s) != 1 || len(w.shape) != 2 || n.Attr["transpose_a"].B {
		return fmt.Errorf("unsupported form (weights %v, input %v, err %v)", ok1 && ok2, s, err)
	}
	transB := n.Attr["transpose_b"].B
	inDim, outDim := w.shape[0], w.shape[1]
	if transB {
		inDim, outDim = outDim, inDim
	}
	if inDim != s[0] || int64(len(b.data)) != outDim {
		return fmt.Errorf("weights %v and bias %v do not fit input %v", w.shape, b.shape, s)
	}
	g := c.model.Graph
	g.AddInitializer(og.FloatTensor(c.valueName(wname), w.shape, w.data))
	g.AddInitializer(og.FloatTensor(c.valueName(bname), b.shape, b.data))
	out := c.emit(n.Name, []int64{outDim})
	gemmOut := out
	if act != "" {
		gemmOut = out + "/gemm"
	}
	tb := int64(0)
	if transB {
		tb = 1
	}
	g.AddNode("Gemm", gemmOut, []string{in, c.valueName(wname), c.valueName(bname)}, []string{gemmOut},
		og.IntAttr("transB", tb))
	c.activation(act, out, gemmOut, out)
	return nil
}
