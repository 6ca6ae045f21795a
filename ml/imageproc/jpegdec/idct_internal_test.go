package jpegdec

import "testing"

func TestIDCTConstants(t *testing.T) {
	fix := func(x float64) int { return int(x*(1<<constBits) + 0.5) }
	for _, tc := range []struct {
		got int
		x   float64
	}{{fix0298631336, 0.298631336}, {fix0390180644, 0.390180644}, {fix0541196100, 0.541196100},
		{fix0765366865, 0.765366865}, {fix0899976223, 0.899976223}, {fix1175875602, 1.175875602},
		{fix1501321110, 1.501321110}, {fix1847759065, 1.847759065}, {fix1961570560, 1.961570560},
		{fix2053119869, 2.053119869}, {fix2562915447, 2.562915447}, {fix3072711026, 3.072711026}} {
		if want := fix(tc.x); tc.got != want {
			t.Errorf("constant for %v = %d, want %d", tc.x, tc.got, want)
		}
	}
}
