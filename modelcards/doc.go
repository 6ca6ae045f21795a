// Package modelcards parses, validates and renders Hugging Face style
// repository cards: the README.md of a model, dataset or space repo, made of
// a YAML front matter block between "---" lines followed by a markdown body.
//
// Parse turns the front matter into JSON-safe values (the Hub's cardData),
// the Card accessors read the well-known keys (license, tags, base_model,
// widget, model-index, ...), DeriveTags computes the tag set that the Hub's
// list filters match, Validate backs POST /api/validate-yaml, and Render
// writes a card back with a stable key order.
//
// The package is a leaf: it imports only the standard library and
// go.yaml.in/yaml/v3.
package modelcards
