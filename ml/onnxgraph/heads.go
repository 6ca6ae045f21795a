package onnxgraph

import (
	"errors"
	"fmt"
)

// MLDomain is the ONNX-ML operator domain (TreeEnsembleRegressor and
// friends); ONNX Runtime, including the onnxruntime-node build that
// transformers.js uses, implements it.
const MLDomain = "ai.onnx.ml"

// mlOpset is the ai.onnx.ml version imported for TreeEnsembleRegressor.
const mlOpset = 3

// AppendMLPHead appends a one-hidden-layer perceptron head, logits =
// W2·relu(W1·f + b1) + b2, as Gemm, Relu, Gemm (transB=1): W1 is
// [hidden][featureDim], b1 [hidden], W2 [numLabels][hidden], b2 [numLabels].
// The rest is as AppendHead: `pixel_values` in, raw `logits` out, the
// feature output kept, labels in the metadata.
func AppendMLPHead(backbone []byte, featureOutput string, W1 [][]float32, b1 []float32,
	W2 [][]float32, b2 []float32, labels []string) ([]byte, error) {
	dim, err := checkLayer(W1, b1, len(W1))
	if err != nil {
		return nil, fmt.Errorf("onnxgraph: append MLP head: hidden layer: %w", err)
	}
	hidden, err := checkLayer(W2, b2, len(labels))
	if err != nil {
		return nil, fmt.Errorf("onnxgraph: append MLP head: %w", err)
	}
	if hidden != len(W1) {
		return nil, fmt.Errorf("onnxgraph: append MLP head: output layer reads %d values, hidden layer has %d", hidden, len(W1))
	}
	const (
		w1, bb1, w2, bb2 = "quarry_head/w1", "quarry_head/b1", "quarry_head/w2", "quarry_head/b2"
		pre, act         = "quarry_head/hidden", "quarry_head/relu"
	)
	h := head{feature: featureOutput, dim: dim, labels: labels, names: []string{w1, bb1, w2, bb2, pre, act},
		add: func(m *Model) {
			g := m.Graph
			addGemm(g, "quarry_head/Gemm1", featureOutput, w1, bb1, pre, W1, b1)
			g.AddNode("Relu", "quarry_head/Relu", []string{pre}, []string{act})
			addGemm(g, "quarry_head/Gemm2", act, w2, bb2, Logits, W2, b2)
		}}
	return h.append(backbone)
}

// TreeNode is one node of a regression tree. An inner node sends x to Left
// when x[Feature] <= Threshold (ONNX-ML BRANCH_LEQ) and to Right otherwise;
// a leaf (Feature < 0) adds Value to its tree's target. Left and Right index
// the tree's Nodes; Nodes[0] is the root.
type TreeNode struct {
	Feature   int
	Threshold float32
	Left      int
	Right     int
	Value     float64
}

// Tree is a regression tree adding to one target (output column).
type Tree struct {
	Target int
	Nodes  []TreeNode
}

// TreeEnsemble is a sum of regression trees: raw[k] = Base[k] + Σ leaf
// values of the trees of target k. It has one target per class, or a
// single target for two classes holding the log-odds of class 1.
type TreeEnsemble struct {
	Base  []float64
	Trees []Tree
}

// AppendTreeHead appends a tree-ensemble head as an ONNX-ML
// TreeEnsembleRegressor (aggregate SUM, post_transform NONE), whose output
// is the raw scores. With one target per label they are the logits; with a
// single target and two labels the logits are [0, raw] (through a MatMul
// by [0 1]), so that softmax gives sigmoid(raw) for label 1, as
// transformers.js and Quarry's demo compute it. The rest is as AppendHead.
func AppendTreeHead(backbone []byte, featureOutput string, e TreeEnsemble, labels []string) ([]byte, error) {
	minDim, err := e.check(len(labels))
	if err != nil {
		return nil, fmt.Errorf("onnxgraph: append tree head: %w", err)
	}
	const raw, expand = "quarry_head/raw", "quarry_head/expand"
	binary := len(e.Base) == 1
	names := []string{}
	if binary {
		names = append(names, raw, expand)
	}
	h := head{feature: featureOutput, minDim: minDim, labels: labels, names: names,
		add: func(m *Model) {
			addMLOpset(m)
			out := Logits
			if binary {
				out = raw
			}
			m.Graph.AddNode("TreeEnsembleRegressor", "quarry_head/Trees", []string{featureOutput},
				[]string{out}, e.attrs()...).Domain = MLDomain
			if binary {
				m.Graph.AddInitializer(FloatTensor(expand, []int64{1, 2}, []float32{0, 1}))
				m.Graph.AddNode("MatMul", "quarry_head/Expand", []string{raw, expand}, []string{Logits})
			}
		}}
	return h.append(backbone)
}

// check validates the ensemble against the number of labels and returns the
// least feature dimension it needs.
func (e TreeEnsemble) check(labels int) (int, error) {
	if labels == 0 {
		return 0, errors.New("head has no classes")
	}
	if len(e.Base) != labels && !(len(e.Base) == 1 && labels == 2) {
		return 0, fmt.Errorf("%d targets for %d labels, want one per label (or 1 for 2 labels)", len(e.Base), labels)
	}
	minDim := 0
	for t, tree := range e.Trees {
		if tree.Target < 0 || tree.Target >= len(e.Base) {
			return 0, fmt.Errorf("tree %d adds to target %d of %d", t, tree.Target, len(e.Base))
		}
		if len(tree.Nodes) == 0 {
			return 0, fmt.Errorf("tree %d has no nodes", t)
		}
		for i, n := range tree.Nodes {
			if n.Feature < 0 {
				continue
			}
			if n.Left <= i || n.Right <= i || n.Left >= len(tree.Nodes) || n.Right >= len(tree.Nodes) {
				return 0, fmt.Errorf("tree %d node %d has children %d and %d outside %d..%d", t, i, n.Left, n.Right, i+1, len(tree.Nodes)-1)
			}
			minDim = max(minDim, n.Feature+1)
		}
	}
	return minDim, nil
}

// attrs returns the TreeEnsembleRegressor attributes. An ensemble without
// trees gets one leaf of value 0 per target (ONNX Runtime wants a tree).
func (e TreeEnsemble) attrs() []*Attribute {
	trees := e.Trees
	if len(trees) == 0 {
		for k := range e.Base {
			trees = append(trees, Tree{Target: k, Nodes: []TreeNode{{Feature: -1}}})
		}
	}
	var treeIDs, nodeIDs, featIDs, trueIDs, falseIDs, tTree, tNode, tTarget []int64
	var values, weights []float32
	var modes [][]byte
	for t, tree := range trees {
		for i, n := range tree.Nodes {
			treeIDs, nodeIDs = append(treeIDs, int64(t)), append(nodeIDs, int64(i))
			if n.Feature < 0 {
				featIDs, values = append(featIDs, 0), append(values, 0)
				trueIDs, falseIDs = append(trueIDs, 0), append(falseIDs, 0)
				modes = append(modes, []byte("LEAF"))
				tTree, tNode = append(tTree, int64(t)), append(tNode, int64(i))
				tTarget, weights = append(tTarget, int64(tree.Target)), append(weights, float32(n.Value))
				continue
			}
			featIDs, values = append(featIDs, int64(n.Feature)), append(values, n.Threshold)
			trueIDs, falseIDs = append(trueIDs, int64(n.Left)), append(falseIDs, int64(n.Right))
			modes = append(modes, []byte("BRANCH_LEQ"))
		}
	}
	base := make([]float32, len(e.Base))
	for i, v := range e.Base {
		base[i] = float32(v)
	}
	floats := func(name string, v []float32) *Attribute {
		return &Attribute{Name: name, Type: AttrFloats, Floats: v}
	}
	return []*Attribute{
		StringAttr("aggregate_function", "SUM"),
		floats("base_values", base),
		IntAttr("n_targets", int64(len(e.Base))),
		IntsAttr("nodes_falsenodeids", falseIDs...),
		IntsAttr("nodes_featureids", featIDs...),
		&Attribute{Name: "nodes_modes", Type: AttrStrings, Strings: modes},
		IntsAttr("nodes_nodeids", nodeIDs...),
		IntsAttr("nodes_treeids", treeIDs...),
		IntsAttr("nodes_truenodeids", trueIDs...),
		floats("nodes_values", values),
		StringAttr("post_transform", "NONE"),
		IntsAttr("target_ids", tTarget...),
		IntsAttr("target_nodeids", tNode...),
		IntsAttr("target_treeids", tTree...),
		floats("target_weights", weights),
	}
}

// addMLOpset imports the ai.onnx.ml domain unless the model already does.
func addMLOpset(m *Model) {
	for _, o := range m.OpsetImports {
		if o.Domain == MLDomain {
			return
		}
	}
	m.OpsetImports = append(m.OpsetImports, OpsetID{Domain: MLDomain, Version: mlOpset})
}
