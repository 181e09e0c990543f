// Package video turns video files into frame tokens: sampled frames, patched
// per frame through package image, or as tubelets.
//
// Not built yet: see the video issue. The pipeline reaches it through
// pipeline.Modality.
package video
