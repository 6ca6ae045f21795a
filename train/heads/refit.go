package heads

// Refit returns a trainer that fits the head of t again, on more data,
// with what a previous fit (selected, made by t with a tuning split as its
// validation set) chose, and no early stopping: logistic regression with
// the selected L2 alone, the MLP for the selected best epoch, GBDT for the
// selected number of kept rounds. The pipeline selects on an inner split of
// the training data and then refits on the whole training split, so the
// reported validation split never takes part in fitting or selection.
// ok is false when t or selected is not one of this package's heads.
func Refit(t Trainer, selected Model) (refit Trainer, ok bool) {
	switch o := t.(type) {
	case LogRegOptions:
		if m, isLR := selected.(*LogReg); isLR {
			o.L2 = []float64{m.L2}
			return o, true
		}
	case MLPOptions:
		if m, isMLP := selected.(*MLP); isMLP {
			o.Epochs = max(m.BestEpoch, 1)
			return o, true
		}
	case GBDTOptions:
		if m, isGBDT := selected.(*GBDT); isGBDT {
			o.Rounds = max(len(m.Trees), 1)
			return o, true
		}
	}
	return nil, false
}
