package tfjs

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestModuleValue(t *testing.T) {
	cases := []struct {
		name, src string
		want      any
	}{
		{"object", `!function(t){module.exports=t()}(function(){return {1:[function(t,e,a){e.exports={a:1,"b c":-.5,d:[!0,!1,null],e:"x\"y\u0041",f:1e-3}},{}]}})`,
			map[string]any{"a": 1.0, "b c": -0.5, "d": []any{true, false, nil}, "e": "x\"yA", "f": 0.001}},
		{"string", `(function(){m.exports="QUJD"})`, "QUJD"},
		{"nested", `x.exports={a:{b:{c:[1,[2,{d:'e'}]]}},g:true}`,
			map[string]any{"a": map[string]any{"b": map[string]any{"c": []any{1.0, []any{2.0, map[string]any{"d": "e"}}}}}, "g": true}},
		{"empty", `e.exports={k:[],o:{}}`, map[string]any{"k": []any{}, "o": map[string]any{}}},
	}
	for _, c := range cases {
		got, err := moduleValue([]byte(c.src))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, diff)
		}
	}
}

func TestModuleValueErrors(t *testing.T) {
	for _, src := range []string{
		`module.exports=t()`,      // no literal
		`e.exports={a:1`,          // unterminated object
		`e.exports={a:1 b:2}`,     // missing comma
		`e.exports="unterminated`, // unterminated string
		`e.exports={a:foo}`,       // identifier value
	} {
		if _, err := moduleValue([]byte(src)); err == nil {
			t.Errorf("%q: no error", src)
		}
	}
}

func TestOutAndPads(t *testing.T) {
	cases := []struct {
		in, k, s, d     int64
		pad             string
		out, begin, end int64
	}{
		{224, 3, 2, 1, "SAME", 112, 0, 1},
		{112, 3, 1, 1, "SAME", 112, 1, 1},
		{7, 1, 1, 1, "SAME", 7, 0, 0},
		{15, 3, 2, 1, "SAME", 8, 1, 1},
		{224, 3, 2, 1, "VALID", 111, 0, 0},
		{10, 3, 1, 2, "SAME", 10, 2, 2},
	}
	for _, c := range cases {
		out, b, e := outAndPads(c.in, c.k, c.s, c.d, c.pad)
		if out != c.out || b != c.begin || e != c.end {
			t.Errorf("%+v: got %d %d %d", c, out, b, e)
		}
	}
}

func TestConvKernelDepthwise(t *testing.T) {
	// HWCM [1,2,2,1]: w[y=0][x][c][0] = 10*c + x.
	w := &weight{shape: []int64{1, 2, 2, 1}, data: []float32{0, 10, 1, 11}}
	k, group, outC, err := convKernel(w, 2, true)
	if err != nil {
		t.Fatal(err)
	}
	if group != 2 || outC != 2 {
		t.Fatalf("group %d outC %d", group, outC)
	}
	if diff := cmp.Diff([]int64{2, 1, 1, 2}, k.shape); diff != "" {
		t.Fatal(diff)
	}
	if diff := cmp.Diff([]float32{0, 1, 10, 11}, k.data); diff != "" {
		t.Fatal(diff)
	}
	// HWIO [1,1,2,3] -> OIHW [3,2,1,1]: w[i][o] = 10*i + o.
	w = &weight{shape: []int64{1, 1, 2, 3}, data: []float32{0, 1, 2, 10, 11, 12}}
	k, _, _, err = convKernel(w, 2, false)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]float32{0, 10, 1, 11, 2, 12}, k.data); diff != "" {
		t.Fatal(diff)
	}
	if _, _, _, err := convKernel(w, 3, false); err == nil {
		t.Fatal("channel mismatch accepted")
	}
}
