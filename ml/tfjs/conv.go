package tfjs

import (
	"fmt"

	og "quarry/ml/onnxgraph"
)

// convParams are the spatial parameters of a TF convolution.
type convParams struct {
	kh, kw, sh, sw, dh, dw int64
	padding                string
}

func readConvParams(n *tfNode, w *weight) (convParams, error) {
	st := attrInts(n, "strides", 1, 1, 1, 1)
	dl := attrInts(n, "dilations", 1, 1, 1, 1)
	pad, err := attrString(n, "padding")
	if err != nil {
		return convParams{}, err
	}
	format, _ := attrString(n, "data_format")
	if format != "" && format != "NHWC" {
		return convParams{}, fmt.Errorf("data format %q not supported", format)
	}
	if len(st) != 4 || len(dl) != 4 || len(w.shape) != 4 {
		return convParams{}, fmt.Errorf("strides %v, dilations %v, weights %v", st, dl, w.shape)
	}
	if pad != "SAME" && pad != "VALID" {
		return convParams{}, fmt.Errorf("padding %q not supported", pad)
	}
	return convParams{kh: w.shape[0], kw: w.shape[1], sh: st[1], sw: st[2], dh: dl[1], dw: dl[2], padding: pad}, nil
}

// outAndPads returns the output size and the begin/end padding of one axis
// (TF SAME puts the extra pixel at the end)
// for VALID or SAME padding.
func outAndPads(in, k, s, d int64, padding string) (out, begin, end int64) {
	eff := (k-1)*d + 1
	if padding == "VALID" {
		return (in-eff)/s + 1, 0, 0
	}
	out = (in + s - 1) / s
	total := max((out-1)*s+eff-in, 0)
	return out, total / 2, total - total/2
}

// conv converts _FusedConv2D (HWIO weights) and FusedDepthwiseConv2dNative
// (HWCM weights) with their fused BiasAdd and optional Relu/Relu6 into an
// ONNX Conv (OIHW weights, explicit pads) plus activation.
func (c *converter) conv(n *tfNode) error {
	in, s, err := c.in(n, 0)
	if err != nil {
		return err
	}
	w, wname, ok1 := c.constInput(n, 1)
	b, bname, ok2 := c.constInput(n, 2)
	if !ok1 || !ok2 || len(s) != 3 {
		return fmt.Errorf("want constant weights and bias on an image input (input %v)", s)
	}
	act, err := fusedOps(n)
	if err != nil {
		return err
	}
	p, err := readConvParams(n, w)
	if err != nil {
		return err
	}
	depthwise := n.Op == "FusedDepthwiseConv2dNative"
	kernel, group, outC, err := convKernel(w, s[0], depthwise)
	if err != nil {
		return err
	}
	if int64(len(b.data)) != outC {
		return fmt.Errorf("bias has %d values for %d output channels", len(b.data), outC)
	}
	oh, pt, pb := outAndPads(s[1], p.kh, p.sh, p.dh, p.padding)
	ow, pl, pr := outAndPads(s[2], p.kw, p.sw, p.dw, p.padding)
	g := c.model.Graph
	g.AddInitializer(og.FloatTensor(c.valueName(wname), kernel.shape, kernel.data))
	g.AddInitializer(og.FloatTensor(c.valueName(bname), []int64{outC}, b.data))
	out := c.emit(n.Name, []int64{outC, oh, ow})
	convOut := out
	if act != "" {
		convOut = out + "/conv"
	}
	g.AddNode("Conv", convOut, []string{in, c.valueName(wname), c.valueName(bname)}, []string{convOut},
		og.IntsAttr("kernel_shape", p.kh, p.kw), og.IntsAttr("strides", p.sh, p.sw),
		og.IntsAttr("dilations", p.dh, p.dw), og.IntsAttr("pads", pt, pl, pb, pr),
		og.IntAttr("group", group))
	c.activation(act, out, convOut, out)
	return nil
}

// convKernel transposes TF weights to ONNX OIHW: HWIO for a normal conv,
// HWCM (channel multiplier M) to [C*M,1,H,W] with group C for a depthwise one.
func convKernel(w *weight, inC int64, depthwise bool) (*weight, int64, int64, error) {
	kh, kw, ci, co := w.shape[0], w.shape[1], w.shape[2], w.shape[3]
	if ci != inC {
		return nil, 0, 0, fmt.Errorf("weights %v expect %d input channels, input has %d", w.shape, ci, inC)
	}
	outC, group, perGroup := co, int64(1), ci
	if depthwise {
		outC, group, perGroup = ci*co, ci, 1
	}
	data := make([]float32, len(w.data))
	for y := int64(0); y < kh; y++ {
		for x := int64(0); x < kw; x++ {
			for i := int64(0); i < ci; i++ {
				for o := int64(0); o < co; o++ {
					v := w.data[((y*kw+x)*ci+i)*co+o]
					oc, ic := o, i
					if depthwise {
						oc, ic = i*co+o, 0
					}
					data[((oc*perGroup+ic)*kh+y)*kw+x] = v
				}
			}
		}
	}
	return &weight{shape: []int64{outC, perGroup, kh, kw}, data: data}, group, outC, nil
}
