package main

import (
	"context"

	"go.uber.org/zap/zapcore"

	"github.com/ipamd/ipamd/internal/server"
)

// serveFunc runs the server until ctx ends, reporting to sup and reloading
// on reload.
type serveFunc func(ctx context.Context, sup server.Supervisor, reload <-chan struct{}) error

// platformEnv is how serve runs on this platform and in this situation.
type platformEnv struct {
	// logCore, when set, is teed into the logger (the Windows Event Log).
	logCore func(zapcore.LevelEnabler) zapcore.Core
	// run, when set, runs serve under a service manager (the Windows SCM);
	// nil runs it in the foreground with signals.
	run   func(serve serveFunc) error
	close func()
}
