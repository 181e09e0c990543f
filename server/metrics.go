package server

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the server's Prometheus series (all prefixed tokenfab_).
type metrics struct {
	requests *prometheus.CounterVec   // by route and status code
	duration *prometheus.HistogramVec // seconds, by route
	inFlight prometheus.Gauge         // /v1 requests being served
	tokens   *prometheus.CounterVec   // tokens produced, by modality
	panics   prometheus.Counter
}

func newMetrics(reg *prometheus.Registry, limit int) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tokenfab_http_requests_total", Help: "HTTP requests answered, by route and status code.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tokenfab_http_request_duration_seconds",
			Help:    "Time from the request's arrival to the end of its answer, in seconds, by route.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "tokenfab_http_requests_in_flight", Help: "/v1 requests being served now (at most the concurrency limit).",
		}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tokenfab_tokens_total", Help: "Tokens produced by successful requests (num_tokens), by modality.",
		}, []string{"modality"}),
		panics: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tokenfab_http_panics_total", Help: "Requests whose handler panicked (answered 500; a bug).",
		}),
	}
	limitG := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "tokenfab_http_concurrency_limit", Help: "Configured limit of /v1 requests served at once.",
	})
	limitG.Set(float64(limit))
	reg.MustRegister(m.requests, m.duration, m.inFlight, m.tokens, m.panics, limitG,
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), collectors.NewGoCollector())
	return m
}
