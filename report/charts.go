package report

import (
	"bytes"
	"encoding/base64"
	"html/template"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// chartW and chartH are the size of every chart (at 96 dpi: 720×300 px).
const (
	chartW = 7.5 * vg.Inch
	chartH = 3.125 * vg.Inch
)

// pngURI renders p as a PNG data: URI.
func pngURI(p *plot.Plot) (template.URL, error) {
	wt, err := p.WriterTo(chartW, chartH, "png")
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	if _, err := wt.WriteTo(&b); err != nil {
		return "", err
	}
	return dataURI("image/png", b.Bytes()), nil
}

// dataURI embeds bytes as a data: URI (trusted: we made the bytes).
func dataURI(mime string, b []byte) template.URL {
	return template.URL("data:" + mime + ";base64," + base64.StdEncoding.EncodeToString(b))
}

// histogram plots the distribution of vs.
func histogram(title, xlabel string, vs []float64) (template.URL, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xlabel
	p.Y.Label.Text = "rows"
	h, err := plotter.NewHist(plotter.Values(vs), min(40, max(1, len(vs))))
	if err != nil {
		return "", err
	}
	p.Add(h)
	return pngURI(p)
}

// barChart plots one bar per label.
func barChart(title, ylabel string, labels []string, vs []float64) (template.URL, error) {
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = ylabel
	b, err := plotter.NewBarChart(plotter.Values(vs), vg.Points(max(8, min(40, 400/float64(max(1, len(vs)))))))
	if err != nil {
		return "", err
	}
	b.Color = plotter.DefaultLineStyle.Color
	p.Add(b)
	p.NominalX(labels...)
	return pngURI(p)
}
