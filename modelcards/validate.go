package modelcards

import (
	"fmt"
	"strings"
)

// knownLicenses are the license ids the Hub accepts in card metadata
// (hub-docs repositories-licenses.md).
var knownLicenses = toSet(strings.Fields(`apache-2.0 mit openrail bigscience-openrail-m
creativeml-openrail-m bigscience-bloom-rail-1.0 bigcode-openrail-m afl-3.0 artistic-2.0 bsl-1.0
bsd bsd-2-clause bsd-3-clause bsd-3-clause-clear c-uda cc cc0-1.0 cc-by-2.0 cc-by-2.5 cc-by-3.0
cc-by-4.0 cc-by-sa-3.0 cc-by-sa-4.0 cc-by-nc-2.0 cc-by-nc-3.0 cc-by-nc-4.0 cc-by-nd-4.0
cc-by-nc-nd-3.0 cc-by-nc-nd-4.0 cc-by-nc-sa-2.0 cc-by-nc-sa-3.0 cc-by-nc-sa-4.0 cdla-sharing-1.0
cdla-permissive-1.0 cdla-permissive-2.0 wtfpl ecl-2.0 epl-1.0 epl-2.0 etalab-2.0 eupl-1.1
eupl-1.2 agpl-3.0 gfdl gpl gpl-2.0 gpl-3.0 lgpl lgpl-2.1 lgpl-3.0 isc h-research
intel-research lppl-1.3c ms-pl apple-ascl apple-amlr mpl-2.0 odc-by odbl openmdw-1.0 openrail++
osl-3.0 postgresql ofl-1.1 ncsa unlicense zlib pddl lgpl-lr deepfloyd-if-license
fair-noncommercial-research-license llama2 llama3 llama3.1 llama3.2 llama3.3 llama4
grok2-community gemma unknown other`))

// stringKeys must hold a single string; listKeys a string or a list of
// strings.
var (
	stringKeys = []string{"library_name", "pipeline_tag", "base_model_relation", "license_name",
		"license_link", "thumbnail", "new_version", "sdk", "app_file"}
	listKeys = []string{"language", "license", "tags", "datasets", "metrics", "base_model", "models"}
)

var baseModelRelations = toSet([]string{"adapter", "merge", "quantized", "finetune"})
var spaceSDKs = toSet([]string{"gradio", "streamlit", "docker", "static"})

// Validate checks a README.md the way POST /api/validate-yaml does.
// repoType is "model" (or ""), "dataset" or "space".
//
// err is a *SyntaxError when the front matter is not valid YAML or not a
// mapping, and a *ValidationError when a well-known key has an unusable
// shape (a mapping where a string or list is expected, widget not a list
// of mappings, a malformed model-index). Softer problems, which the Hub is
// stricter about but which do not break this hub, are warnings: unknown
// license ids, "other" without license_name, non-string list entries, an
// unknown base_model_relation or space sdk.
func Validate(readme []byte, repoType string) (warnings []string, err error) {
	switch repoType {
	case "", "model", "dataset", "space":
	default:
		return nil, &ValidationError{Field: "repoType", Msg: "must be one of [model, dataset, space]"}
	}
	card, err := Parse(readme)
	if err != nil {
		return nil, err
	}
	v := &validator{data: card.Data}
	for _, k := range stringKeys {
		v.checkString(k)
	}
	for _, k := range listKeys {
		v.checkList(k)
	}
	v.checkWidget()
	if v.err == nil {
		if _, err := card.EvalResults(); err != nil {
			return nil, err
		}
	}
	if v.err != nil {
		return nil, v.err
	}
	v.checkValues(card, repoType)
	return v.warnings, nil
}

// validator accumulates the first error and all warnings.
type validator struct {
	data     map[string]any
	err      error
	warnings []string
}

func (v *validator) fail(field, msg string) {
	if v.err == nil {
		v.err = &ValidationError{Field: field, Msg: msg}
	}
}

func (v *validator) warn(format string, args ...any) {
	v.warnings = append(v.warnings, fmt.Sprintf(format, args...))
}

func (v *validator) checkString(key string) {
	switch x := v.data[key].(type) {
	case nil, string:
	case map[string]any, []any:
		v.fail(key, "must be a string")
	default:
		v.warn("%q should be a string, got %v", key, x)
	}
}

func (v *validator) checkList(key string) {
	switch x := v.data[key].(type) {
	case nil, string:
	case map[string]any:
		v.fail(key, "must be a string or a list of strings")
	case []any:
		for i, item := range x {
			switch item.(type) {
			case string:
			case map[string]any, []any, nil:
				v.fail(fmt.Sprintf("%s[%d]", key, i), "must be a string")
			default:
				v.warn("\"%s[%d]\" should be a string, got %v", key, i, item)
			}
		}
	default:
		v.warn("%q should be a string or a list of strings, got %v", key, x)
	}
}

func (v *validator) checkWidget() {
	w, present := v.data["widget"]
	if !present || w == nil {
		return
	}
	list, ok := w.([]any)
	if !ok {
		v.fail("widget", "must be a list")
		return
	}
	for i, item := range list {
		if _, ok := item.(map[string]any); !ok {
			v.fail(fmt.Sprintf("widget[%d]", i), "must be an object")
		}
	}
}

// checkValues warns about values the Hub would not recognise.
func (v *validator) checkValues(card *Card, repoType string) {
	for _, l := range card.Licenses() {
		if !knownLicenses[l] {
			v.warn("\"license\" %q is not a license id known to the Hugging Face Hub; use \"other\" with license_name and license_link", l)
		}
		if l == "other" && card.str("license_name") == "" {
			v.warn("\"license\" is \"other\" but \"license_name\" is missing")
		}
	}
	if rel := card.BaseModelRelation(); rel != "" && !baseModelRelations[rel] {
		v.warn("\"base_model_relation\" must be one of [adapter, merge, quantized, finetune], got %q", rel)
	}
	if sdk := card.str("sdk"); repoType == "space" && sdk != "" && !spaceSDKs[sdk] {
		v.warn("\"sdk\" must be one of [gradio, streamlit, docker, static], got %q", sdk)
	}
}

func toSet(items []string) map[string]bool {
	m := make(map[string]bool, len(items))
	for _, s := range items {
		m[s] = true
	}
	return m
}
