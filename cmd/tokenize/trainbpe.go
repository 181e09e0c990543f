package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// newTrainBPECmd is `tokenize train-bpe` (work in progress).
func newTrainBPECmd() *cobra.Command {
	return &cobra.Command{
		Use:    "train-bpe",
		Short:  "Train a byte-level BPE vocabulary (not implemented yet)",
		Hidden: true,
		RunE:   func(*cobra.Command, []string) error { return errors.New("train-bpe: not implemented yet") },
	}
}
