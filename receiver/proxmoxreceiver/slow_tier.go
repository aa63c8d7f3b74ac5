// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package proxmoxreceiver // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver"

import (
	"context"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/scraper/scrapererror"

	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/problems"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/pveapi"
	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/recheck"
)

// What an operator expects beyond usage: HA, replication and Ceph state,
// backups, certificates and subscriptions. Each group is asked on its own
// slow cadence (slow_tier), only when one of its metrics is on, and its last
// answer is reported in between; one failing path is a partial problem, and
// a feature Proxmox says is not set up is not a problem at all.

// slowTier asks and reports the slow groups, each on its own cadence, for
// the metrics scraper.
type slowTier struct {
	cfg           *Config
	shared        *sharedClient
	rec           *metricsRecorder
	state         *recheck.Group[stateAnswer]
	certs         *recheck.Group[certAnswer]
	backups       *recheck.Group[backupAnswer]
	backupHistory *backupHistory
}

func newSlowTier(cfg *Config, shared *sharedClient, rec *metricsRecorder) slowTier {
	return slowTier{
		cfg:           cfg,
		shared:        shared,
		rec:           rec,
		state:         recheck.NewGroup[stateAnswer](cfg.SlowTier.StateInterval),
		certs:         recheck.NewGroup[certAnswer](cfg.SlowTier.CertificateInterval),
		backups:       recheck.NewGroup[backupAnswer](cfg.SlowTier.BackupInterval),
		backupHistory: newBackupHistory(shared, cfg.SlowTier.BackupLookback),
	}
}

// stateAnswer is what the HA, replication and Ceph requests said.
type stateAnswer struct {
	ha          []pveapi.HAStatusEntry
	ceph        *pveapi.CephStatus // nil: the cluster runs no Ceph
	replication []pveapi.ReplicationJob
}

// certAnswer is what the certificate and subscription requests said, by node.
type certAnswer struct {
	certs map[string][]pveapi.Certificate
	subs  map[string]pveapi.Subscription
}

// slowCollection gathers the problems of the slow groups asked in one
// collection, which run alongside the node requests.
type slowCollection struct {
	mu    sync.Mutex
	errs  scrapererror.ScrapeErrors
	found problems.Set
}

func (c *slowCollection) fail(tmpl, node string, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.errs.AddPartial(1, err)
	c.found.Add(problems.FromAPI(tmpl, node, err))
}

// collectSlow asks the slow groups that are due and enabled; it returns
// when their requests are done.
func (s *slowTier) collect(ctx context.Context, client pveapi.Client, begin time.Time, online []string, resources []pveapi.ClusterResource) *slowCollection {
	c := &slowCollection{found: problems.Set{}}
	var wg sync.WaitGroup
	if s.stateEnabled() && s.state.Due(begin, s.cfg.CollectionInterval) {
		s.state.TryAt(begin)
		wg.Go(func() { s.collectState(ctx, client, begin, online, c) })
	}
	if s.certsEnabled() && s.certs.Due(begin, s.cfg.CollectionInterval) {
		s.certs.TryAt(begin)
		wg.Go(func() { s.collectCerts(ctx, client, begin, online, c) })
	}
	if s.backupsEnabled() && s.backups.Due(begin, s.cfg.CollectionInterval) {
		s.backups.TryAt(begin)
		wg.Go(func() {
			if answer, ok := s.backupHistory.read(ctx, client, begin, online, resources, c.fail); ok {
				s.backups.Store(answer, begin)
			}
		})
	}
	wg.Wait()
	return c
}

func (s *slowTier) collectState(ctx context.Context, client pveapi.Client, begin time.Time, online []string, c *slowCollection) {
	var answer stateAnswer
	var mu sync.Mutex
	ok := true
	var wg sync.WaitGroup
	wg.Go(func() {
		if !s.shared.featureDue(featureHA, begin) {
			return
		}
		ha, err := client.HAStatus(ctx)
		mu.Lock()
		defer mu.Unlock()
		if s.shared.featureAbsent(featureHA, err, begin) {
			return
		}
		if err != nil {
			c.fail(pveapi.PathHAStatus, "", err)
			ok = false
			return
		}
		answer.ha = ha
	})
	wg.Go(func() {
		if !s.shared.featureDue(featureCeph, begin) {
			return
		}
		st, err := client.CephStatus(ctx)
		mu.Lock()
		defer mu.Unlock()
		switch {
		case s.shared.featureAbsent(featureCeph, err, begin):
		case err != nil:
			c.fail(pveapi.PathCephStatus, "", err)
			ok = false
		default:
			answer.ceph = &st
		}
	})
	for _, node := range online {
		wg.Go(func() {
			key := featureReplication + " " + node
			if !s.shared.featureDue(key, begin) {
				return
			}
			jobs, err := client.NodeReplication(ctx, node)
			if s.shared.featureAbsent(key, err, begin) {
				return
			}
			if err != nil {
				c.fail(pveapi.PathNodeReplication, node, err)
				return
			}
			mu.Lock()
			answer.replication = append(answer.replication, jobs...)
			mu.Unlock()
		})
	}
	wg.Wait()
	if ok {
		s.state.Store(answer, begin)
	}
}

func (s *slowTier) collectCerts(ctx context.Context, client pveapi.Client, begin time.Time, online []string, c *slowCollection) {
	answer := certAnswer{certs: map[string][]pveapi.Certificate{}, subs: map[string]pveapi.Subscription{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, node := range online {
		wg.Go(func() {
			key := featureCertificates + " " + node
			if !s.shared.featureDue(key, begin) {
				return
			}
			certs, err := client.NodeCertificates(ctx, node)
			if s.shared.featureAbsent(key, err, begin) {
				return
			}
			if err != nil {
				c.fail(pveapi.PathNodeCertificates, node, err)
				return
			}
			mu.Lock()
			answer.certs[node] = certs
			mu.Unlock()
		})
		wg.Go(func() {
			key := featureSubscription + " " + node
			if !s.shared.featureDue(key, begin) {
				return
			}
			sub, err := client.NodeSubscription(ctx, node)
			if s.shared.featureAbsent(key, err, begin) {
				return
			}
			if err != nil {
				c.fail(pveapi.PathNodeSubscription, node, err)
				return
			}
			mu.Lock()
			answer.subs[node] = sub
			mu.Unlock()
		})
	}
	wg.Wait()
	s.certs.Store(answer, begin)
}

func (s *slowTier) stateEnabled() bool {
	m := s.cfg.MetricsBuilderConfig.Metrics
	return m.MnmProxmoxHaResource.Enabled || m.MnmProxmoxHaLrm.Enabled || m.MnmProxmoxHaMaster.Enabled || m.MnmProxmoxHaQuorate.Enabled ||
		m.MnmProxmoxCephHealth.Enabled || m.MnmProxmoxCephHealthCheck.Enabled || m.MnmProxmoxCephOsds.Enabled || m.MnmProxmoxCephPgs.Enabled ||
		m.MnmProxmoxCephUsed.Enabled || m.MnmProxmoxCephAvailable.Enabled ||
		m.MnmProxmoxReplicationLastSyncTimestamp.Enabled || m.MnmProxmoxReplicationLastTryTimestamp.Enabled ||
		m.MnmProxmoxReplicationDuration.Enabled || m.MnmProxmoxReplicationFailCount.Enabled
}

func (s *slowTier) certsEnabled() bool {
	m := s.cfg.MetricsBuilderConfig.Metrics
	return m.MnmProxmoxNodeCertificateExpiryTimestamp.Enabled || m.MnmProxmoxNodeSubscription.Enabled
}

func (s *slowTier) backupsEnabled() bool {
	m := s.cfg.MetricsBuilderConfig.Metrics
	return m.MnmProxmoxGuestBackupExcluded.Enabled || m.MnmProxmoxGuestBackupLastSuccessTimestamp.Enabled || m.MnmProxmoxGuestBackupLastFailureTimestamp.Enabled
}

// record reports the slow tier's last answers (see recheck.Group).
func (s *slowTier) record(now pcommon.Timestamp, at time.Time, resources []pveapi.ClusterResource) {
	if st, ok := s.state.Current(at); ok {
		s.rec.recordHA(now, st.ha)
		s.rec.recordReplication(now, st.replication)
		if st.ceph != nil {
			s.rec.recordCeph(now, st.ceph)
		}
	}
	if c, ok := s.certs.Current(at); ok {
		for node, certs := range c.certs {
			for _, cert := range certs {
				if cert.NotAfter.Valid {
					s.rec.mb.RecordMnmProxmoxNodeCertificateExpiryTimestampDataPoint(now, cert.NotAfter.Value, node, string(cert.Filename), string(cert.Subject))
				}
			}
		}
		for node, sub := range c.subs {
			s.rec.mb.RecordMnmProxmoxNodeSubscriptionDataPoint(now, 1, node, strings.ToLower(string(sub.Status)), string(sub.Level))
		}
	}
	if b, ok := s.backups.Current(at); ok {
		s.rec.recordBackups(now, b, resources)
	}
}
