package onnxrt

import (
	"errors"
	"fmt"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

// TensorInfo describes a model input or output. A dimension of -1 is
// symbolic (such as the batch size).
type TensorInfo struct {
	Name  string
	Shape []int64
	// DataType is ONNX Runtime's element type name, such as "float".
	DataType string
}

// Output is one output tensor of a run.
type Output struct {
	Name  string
	Data  []float32
	Shape []int64
}

// Session is a loaded model with one float32 input. It is safe for
// concurrent use: ONNX Runtime allows concurrent Run calls on a session.
type Session struct {
	s       *ort.DynamicAdvancedSession
	inputs  []TensorInfo
	outputs []TensorInfo
	mu      sync.RWMutex // guards s against Close during Run
}

// NewSession loads an ONNX model from memory. inputs and outputs name the
// values to feed and fetch; Run needs exactly one input. The shapes of the
// named values are read from the model.
func (r *Runtime) NewSession(modelBytes []byte, inputs, outputs []string) (*Session, error) {
	if len(inputs) != 1 || len(outputs) == 0 {
		return nil, fmt.Errorf("onnxrt: new session: want 1 input and at least 1 output, got %d and %d", len(inputs), len(outputs))
	}
	ins, outs, err := ort.GetInputOutputInfoWithONNXData(modelBytes)
	if err != nil {
		return nil, fmt.Errorf("onnxrt: new session: read model: %w", err)
	}
	s := &Session{}
	if s.inputs, err = pick(ins, inputs, "input"); err != nil {
		return nil, err
	}
	if s.outputs, err = pick(outs, outputs, "output"); err != nil {
		return nil, err
	}
	so, err := r.sessionOptions()
	if err != nil {
		return nil, fmt.Errorf("onnxrt: new session: options: %w", err)
	}
	defer so.Destroy()
	s.s, err = ort.NewDynamicAdvancedSessionWithONNXData(modelBytes, inputs, outputs, so)
	if err != nil {
		return nil, fmt.Errorf("onnxrt: new session: %w", err)
	}
	return s, nil
}

// pick returns the infos for names, in order, or an error naming the
// missing one and what the model has.
func pick(infos []ort.InputOutputInfo, names []string, kind string) ([]TensorInfo, error) {
	out := make([]TensorInfo, 0, len(names))
	for _, name := range names {
		found := false
		for _, in := range infos {
			if in.Name == name {
				out = append(out, TensorInfo{Name: name, Shape: append([]int64{}, in.Dimensions...),
					DataType: in.DataType.String()})
				found = true
				break
			}
		}
		if !found {
			have := make([]string, len(infos))
			for i, in := range infos {
				have[i] = in.Name
			}
			return nil, fmt.Errorf("onnxrt: new session: model has no %s %q (has %q)", kind, name, have)
		}
	}
	return out, nil
}

// Inputs describes the session's input.
func (s *Session) Inputs() []TensorInfo { return s.inputs }

// Outputs describes the session's outputs, in the order Run returns them.
func (s *Session) Outputs() []TensorInfo { return s.outputs }

// Run feeds one float32 tensor (for example N images, shape [N,3,H,W]) and
// returns the first output's data and shape.
func (s *Session) Run(input []float32, shape []int64) ([]float32, []int64, error) {
	outs, err := s.RunAll(input, shape)
	if err != nil {
		return nil, nil, err
	}
	return outs[0].Data, outs[0].Shape, nil
}

// RunAll is Run returning every requested output.
func (s *Session) RunAll(input []float32, shape []int64) ([]Output, error) {
	if err := checkShape(s.inputs[0], input, shape); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.s == nil {
		return nil, errors.New("onnxrt: run: session closed")
	}
	in, err := ort.NewTensor(ort.NewShape(shape...), input)
	if err != nil {
		return nil, fmt.Errorf("onnxrt: run: input tensor: %w", err)
	}
	defer in.Destroy()
	values := make([]ort.Value, len(s.outputs))
	defer func() {
		for _, v := range values {
			if v != nil {
				v.Destroy()
			}
		}
	}()
	if err := s.s.Run([]ort.Value{in}, values); err != nil {
		return nil, fmt.Errorf("onnxrt: run: %w", err)
	}
	return collect(s.outputs, values)
}

func collect(infos []TensorInfo, values []ort.Value) ([]Output, error) {
	outs := make([]Output, len(values))
	for i, v := range values {
		t, ok := v.(*ort.Tensor[float32])
		if !ok {
			return nil, fmt.Errorf("onnxrt: run: output %q is %T, want float32 tensor", infos[i].Name, v)
		}
		outs[i] = Output{Name: infos[i].Name, Data: append([]float32{}, t.GetData()...),
			Shape: append([]int64{}, t.GetShape()...)}
	}
	return outs, nil
}

// checkShape verifies that shape matches the data length and the model's
// fixed dimensions, so a mismatch is a clear error rather than an ORT one.
func checkShape(info TensorInfo, data []float32, shape []int64) error {
	if len(shape) != len(info.Shape) {
		return fmt.Errorf("onnxrt: run: input %q has rank %d, model wants %v", info.Name, len(shape), info.Shape)
	}
	n := int64(1)
	for i, d := range shape {
		if d <= 0 {
			return fmt.Errorf("onnxrt: run: input %q shape %v has a non-positive dimension", info.Name, shape)
		}
		if want := info.Shape[i]; want > 0 && want != d {
			return fmt.Errorf("onnxrt: run: input %q shape %v, model wants %v", info.Name, shape, info.Shape)
		}
		n *= d
	}
	if n != int64(len(data)) {
		return fmt.Errorf("onnxrt: run: input %q shape %v needs %d values, got %d", info.Name, shape, n, len(data))
	}
	return nil
}

// Close releases the session, waiting for running calls to finish.
func (s *Session) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.s == nil {
		return nil
	}
	err := s.s.Destroy()
	s.s = nil
	if err != nil {
		return fmt.Errorf("onnxrt: close session: %w", err)
	}
	return nil
}
