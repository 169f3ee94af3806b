//go:build windows

package winsvc

import (
	"testing"
	"time"

	"golang.org/x/sys/windows/svc"
)

func TestToSvc(t *testing.T) {
	tests := []struct {
		in   status
		want svc.Status
	}{
		{status{state: stateStartPending, waitHint: 30 * time.Second}, svc.Status{State: svc.StartPending, WaitHint: 30000}},
		{status{state: stateRunning, acceptStop: true}, svc.Status{State: svc.Running, Accepts: svc.AcceptStop | svc.AcceptShutdown | svc.AcceptParamChange}},
		{status{state: stateStopPending, checkPoint: 3, waitHint: time.Minute}, svc.Status{State: svc.StopPending, CheckPoint: 3, WaitHint: 60000}},
	}
	for _, tt := range tests {
		if got := toSvc(tt.in); got != tt.want {
			t.Errorf("toSvc(%+v) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}
