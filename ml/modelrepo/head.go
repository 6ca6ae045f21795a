package modelrepo

import "quarry/ml/onnxgraph"

// Head kinds, as written to config.json `quarry.head`.
const (
	HeadLinear = "linear"
	HeadMLP    = "mlp"
	HeadTrees  = "trees"
)

// Head is a classification head BuildClassifier appends to a backbone; make
// one with LinearHead, MLPHead or TreeHead.
type Head struct {
	kind   string
	desc   string
	append func(backbone []byte, feature string, labels []string) ([]byte, error)
}

// Kind returns the head's kind: HeadLinear, HeadMLP or HeadTrees.
func (h Head) Kind() string { return h.kind }

// LinearHead is a linear layer on the backbone features: logits = W·f + b,
// W [labels][featureDim], b [labels] (one Gemm).
func LinearHead(W [][]float32, b []float32) Head {
	return Head{kind: HeadLinear, desc: "a linear head (`Gemm`)",
		append: func(bb []byte, feature string, labels []string) ([]byte, error) {
			return onnxgraph.AppendHead(bb, feature, W, b, labels)
		}}
}

// MLPHead is a one-hidden-layer perceptron: logits = W2·relu(W1·f + b1) + b2
// (Gemm, Relu, Gemm), W1 [hidden][featureDim], W2 [labels][hidden].
func MLPHead(W1 [][]float32, b1 []float32, W2 [][]float32, b2 []float32) Head {
	return Head{kind: HeadMLP, desc: "a small MLP head (`Gemm`, `Relu`, `Gemm`)",
		append: func(bb []byte, feature string, labels []string) ([]byte, error) {
			return onnxgraph.AppendMLPHead(bb, feature, W1, b1, W2, b2, labels)
		}}
}

// TreeHead is a gradient-boosted tree ensemble on the raw features, exported
// as an ONNX-ML TreeEnsembleRegressor (see onnxgraph.AppendTreeHead).
func TreeHead(e onnxgraph.TreeEnsemble) Head {
	return Head{kind: HeadTrees,
		desc: "a gradient-boosted tree ensemble (ONNX-ML `TreeEnsembleRegressor`, domain `ai.onnx.ml`)",
		append: func(bb []byte, feature string, labels []string) ([]byte, error) {
			return onnxgraph.AppendTreeHead(bb, feature, e, labels)
		}}
}
