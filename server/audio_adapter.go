package server

import (
	"github.com/tokenfab/tokenfab/audio"
	"github.com/tokenfab/tokenfab/pipeline"
)

// audioModality is the pipeline adapter used for Arrow answers to audio
// requests. Package pipeline has no audio columns yet, so it is nil and
// such requests get 406 (JSON answers work); once pipeline exports its
// audio adapter, return it here.
func audioModality(*audio.Tokenizer) pipeline.Modality { return nil }
