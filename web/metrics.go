package web

import (
	"fmt"
	"strconv"

	"quarry/modelcards"
)

// metricRow is one metric of a card's model-index.
type metricRow struct {
	Model    string
	Task     string
	Dataset  string
	Split    string
	Metric   string
	Value    string
	Number   float64 // Value as a number, when HasNum
	HasNum   bool
	Meter    bool // a fraction in [0, 1], drawn as a bar
	Verified bool
}

// key identifies the metric across revisions.
func (m metricRow) key() string {
	return m.Task + "\x00" + m.Dataset + "\x00" + m.Split + "\x00" + m.Metric
}

// metricsPanel is the metrics of a card, or why they cannot be shown.
type metricsPanel struct {
	Rows  []metricRow
	Error string
}

// metricsOf reads a card's model-index. A nil card has no metrics.
func metricsOf(card *modelcards.Card) metricsPanel {
	if card == nil {
		return metricsPanel{}
	}
	results, err := card.EvalResults()
	if err != nil {
		return metricsPanel{Error: err.Error()}
	}
	rows := make([]metricRow, 0, len(results))
	for _, r := range results {
		row := metricRow{Model: r.ModelName, Task: first(r.TaskName, r.TaskType), Dataset: first(r.DatasetName, r.DatasetType),
			Split: r.DatasetSplit, Metric: first(r.MetricName, r.MetricType), Verified: r.Verified}
		row.Value, row.Number, row.HasNum = formatValue(r.MetricValue)
		row.Meter = row.HasNum && row.Number >= 0 && row.Number <= 1
		rows = append(rows, row)
	}
	return metricsPanel{Rows: rows}
}

// first returns the first non-empty string.
func first(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// formatValue renders a metric value and returns it as a number when it
// is one.
func formatValue(v any) (string, float64, bool) {
	switch x := v.(type) {
	case float64:
		return strconv.FormatFloat(x, 'g', 6, 64), x, true
	case int64:
		return strconv.FormatInt(x, 10), float64(x), true
	case int:
		return strconv.Itoa(x), float64(x), true
	case string:
		if f, err := strconv.ParseFloat(x, 64); err == nil {
			return x, f, true
		}
		return x, 0, false
	case nil:
		return "", 0, false
	}
	return fmt.Sprint(v), 0, false
}

// compareRow is one metric of two revisions side by side.
type compareRow struct {
	Task, Dataset, Split, Metric string
	A, B                         string
	Delta                        string // B - A, signed, when both are numbers
	Better                       int    // +1 when B > A, -1 when B < A, 0 otherwise
}

// compareMetrics pairs the metrics of two revisions by task, dataset,
// split and metric, in a's order then b's new ones.
func compareMetrics(a, b []metricRow) []compareRow {
	var out []compareRow
	index := map[string]int{}
	for _, m := range a {
		index[m.key()] = len(out)
		out = append(out, compareRow{Task: m.Task, Dataset: m.Dataset, Split: m.Split, Metric: m.Metric, A: m.Value})
	}
	numA := map[string]metricRow{}
	for _, m := range a {
		numA[m.key()] = m
	}
	for _, m := range b {
		i, ok := index[m.key()]
		if !ok {
			index[m.key()] = len(out)
			out = append(out, compareRow{Task: m.Task, Dataset: m.Dataset, Split: m.Split, Metric: m.Metric})
			i = len(out) - 1
		}
		out[i].B = m.Value
		if old, ok := numA[m.key()]; ok && old.HasNum && m.HasNum {
			d := m.Number - old.Number
			out[i].Delta = strconv.FormatFloat(d, 'g', 4, 64)
			if d > 0 {
				out[i].Delta, out[i].Better = "+"+out[i].Delta, 1
			} else if d < 0 {
				out[i].Better = -1
			}
		}
	}
	return out
}
