// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package mnmendpointexporter

import (
	"context"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/extension"

	"github.com/mnm-net/otelcol-mnm/internal/controllersim"
)

// storageHost offers one storage extension to the exporter.
type storageHost struct {
	extensions map[component.ID]component.Component
}

func (h storageHost) GetExtensions() map[component.ID]component.Component { return h.extensions }

var storageID = component.MustNewIDWithName("file_storage", "mnm")

// startFileStorage starts a real filestorage extension on dir.
func startFileStorage(t *testing.T, dir string) (extension.Extension, component.Host) {
	t.Helper()
	f := filestorage.NewFactory()
	cfg := f.CreateDefaultConfig().(*filestorage.Config)
	cfg.Directory = dir
	ext, err := f.Create(context.Background(), extension.Settings{
		ID:                storageID,
		TelemetrySettings: componenttest.NewNopTelemetrySettings(),
		BuildInfo:         component.NewDefaultBuildInfo(),
	}, cfg)
	require.NoError(t, err)
	host := storageHost{extensions: map[component.ID]component.Component{storageID: ext}}
	require.NoError(t, ext.Start(context.Background(), host))
	return ext, host
}

func persistentConfig(endpoint string) *Config {
	cfg := testConfig(endpoint)
	queue := exporterhelper.NewDefaultQueueConfig()
	queue.StorageID = &storageID
	cfg.QueueConfig = configoptional.Some(queue)
	cfg.RetryConfig = configretry.NewDefaultBackOffConfig()
	cfg.RetryConfig.InitialInterval = 10 * time.Millisecond
	cfg.RetryConfig.MaxInterval = 50 * time.Millisecond
	cfg.RetryConfig.MaxElapsedTime = 0 // keep retrying until shut down
	return cfg
}

// TestPersistentQueueSurvivesRestart: with the controller down (503), records
// consumed by one exporter are delivered by the next one started on the same
// storage directory once the controller is back (at-least-once).
func TestPersistentQueueSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	ctrl, srv := newController(t, controllersim.Config{})
	ctrl.SetFault(controllersim.Fault{Status: 503})
	cfg := persistentConfig(srv.URL)
	// The queue's storage key derives from the exporter ID: both runs must
	// share it, as they would across a Collector restart.
	set := nopSettings()

	// First run: controller down.
	ext1, host1 := startFileStorage(t, dir)
	exp1, err := NewFactory().CreateLogs(context.Background(), set, cfg)
	require.NoError(t, err)
	require.NoError(t, exp1.Start(context.Background(), host1))
	const pushes, perPush = 3, 40
	for p := range pushes {
		recs := manyRecords((p + 1) * perPush)[p*perPush:]
		require.NoError(t, exp1.ConsumeLogs(context.Background(), logsOf(recs...)))
	}
	require.Eventually(t, func() bool { return ctrl.Stats().Faulted >= pushes }, 10*time.Second, 10*time.Millisecond,
		"every request should have been tried and refused")
	require.NoError(t, exp1.Shutdown(context.Background()))
	require.NoError(t, ext1.Shutdown(context.Background()))
	assert.Empty(t, ctrl.Endpoints())

	// Second run: a new exporter on the same directory, controller back.
	ctrl.ClearFault()
	ext2, host2 := startFileStorage(t, dir)
	exp2, err := NewFactory().CreateLogs(context.Background(), set, cfg)
	require.NoError(t, err)
	require.NoError(t, exp2.Start(context.Background(), host2))
	require.Eventually(t, func() bool { return len(ctrl.Endpoints()) == pushes*perPush }, 10*time.Second, 10*time.Millisecond,
		"got %d endpoints", len(ctrl.Endpoints()))
	require.NoError(t, exp2.Shutdown(context.Background()))
	require.NoError(t, ext2.Shutdown(context.Background()))

	got := map[string]bool{}
	for _, ep := range ctrl.Endpoints() {
		got[ep.MAC] = true
	}
	for i := range pushes * perPush {
		assert.True(t, got[macN(i)], "endpoint %s missing", macN(i))
	}
}
