package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/amity/amity/internal/edge/admission"
)

// WatchAdmission exports the admission gate's state (docs/operations.md, "Admission"):
// read from the scheduler at each scrape, so the gate keeps no metric of its own.
func (m *Metrics) WatchAdmission(s *admission.Scheduler) {
	if s != nil {
		m.reg.MustRegister(admissionCollector{s})
	}
}

var (
	admissionRunning = prometheus.NewDesc("amity_admission_running",
		"GraphQL operations executing now, by class (cheap, expensive).", []string{"class"}, nil)
	admissionWaiting = prometheus.NewDesc("amity_admission_waiting",
		"GraphQL operations waiting for a slot.", nil, nil)
	admissionCallers = prometheus.NewDesc("amity_admission_callers",
		"Callers (API keys, client addresses) with operations running or waiting.", nil, nil)
	admissionRefusals = prometheus.NewDesc("amity_admission_refusals_total",
		"Operations refused by admission, by reason (queue_full, too_late, deadline).", []string{"reason"}, nil)
)

type admissionCollector struct{ s *admission.Scheduler }

func (admissionCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- admissionRunning
	ch <- admissionWaiting
	ch <- admissionCallers
	ch <- admissionRefusals
}

func (c admissionCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.s.Stats()
	ch <- prometheus.MustNewConstMetric(admissionRunning, prometheus.GaugeValue, float64(st.Running-st.RunningExpensive), "cheap")
	ch <- prometheus.MustNewConstMetric(admissionRunning, prometheus.GaugeValue, float64(st.RunningExpensive), "expensive")
	ch <- prometheus.MustNewConstMetric(admissionWaiting, prometheus.GaugeValue, float64(st.Waiting))
	ch <- prometheus.MustNewConstMetric(admissionCallers, prometheus.GaugeValue, float64(st.Callers))
	for _, r := range admission.Reasons {
		ch <- prometheus.MustNewConstMetric(admissionRefusals, prometheus.CounterValue, float64(st.Refusals[r]), r)
	}
}
