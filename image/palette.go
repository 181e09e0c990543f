package image

import "github.com/tokenfab/tokenfab/codebook"

// LoadPalette reads an ImageGPT colour palette for Config.Palette: K rows
// of (R, G, B) in normalized [-1, 1] units, from a .npy file (<f4 or <f8,
// shape (K, 3)), a JSON list of rows, or a JSON object with a "clusters"
// key (the checkpoint's preprocessor_config.json, e.g. openai/imagegpt-small
// with K = 512). transformers does not ship the palette; it is part of the
// checkpoint. Errors wrap ErrConfig.
func LoadPalette(path string) ([][3]float64, error) {
	rows, err := codebook.ReadMatrix(path)
	if err != nil {
		return nil, errorf(ErrConfig, "palette %s: %v", path, err)
	}
	if len(rows[0]) != 3 {
		return nil, errorf(ErrConfig, "palette %s: rows of %d values, want 3 (R, G, B)", path, len(rows[0]))
	}
	out := make([][3]float64, len(rows))
	for i, r := range rows {
		copy(out[i][:], r)
	}
	return out, nil
}
