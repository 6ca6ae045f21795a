// Command convert turns the nsfwjs MobileNetV2 TF.js graph model into the
// Quarry backbone layout (onnx/model.onnx, config.json,
// preprocessor_config.json). scripts/setup-ml.sh runs it.
//
//	go run ./ml/tfjs/cmd/convert -in third_party/nsfwjs -out third_party/models/mobilenet-v2-140-224
package main

import (
	"flag"
	"fmt"
	"os"

	"quarry/ml/tfjs"
)

func main() {
	in := flag.String("in", "", "directory of the TF.js graph model (model.min.js or model.json)")
	out := flag.String("out", "", "output model directory")
	flag.Parse()
	if *in == "" || *out == "" {
		flag.Usage()
		os.Exit(2)
	}
	if err := tfjs.WriteMobileNetV2(*in, *out); err != nil {
		fmt.Fprintln(os.Stderr, "convert:", err)
		os.Exit(1)
	}
}
