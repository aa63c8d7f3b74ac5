package proxmoxreceiver // import "github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver"

import (
	"context"
	"errors"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver"

	"github.com/mnm-net/otelcol-mnm/receiver/proxmoxreceiver/internal/metadata"
)

// inventoryScraper emits one log record per guest NIC (placeholder until the
// guest network parsers land).
type inventoryScraper struct {
	cfg    *Config
	shared *sharedClient
	lb     *metadata.LogsBuilder
}

func newInventoryScraper(cfg *Config, set receiver.Settings, shared *sharedClient) *inventoryScraper {
	return &inventoryScraper{cfg: cfg, shared: shared, lb: metadata.NewLogsBuilder(cfg.LogsBuilderConfig, set)}
}

func (s *inventoryScraper) start(ctx context.Context, host component.Host) error {
	return s.shared.start(ctx, host)
}

func (s *inventoryScraper) shutdown(context.Context) error {
	s.shared.shutdown()
	return nil
}

func (s *inventoryScraper) scrape(context.Context) (plog.Logs, error) {
	if s.shared.get() == nil {
		return plog.NewLogs(), errors.New("proxmox receiver is not started")
	}
	return s.lb.Emit(), nil
}
