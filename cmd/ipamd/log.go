package main

import (
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/ipamd/ipamd/config"
)

// newLogger builds the root logger: zap's production config (JSON to
// stderr, ISO8601 time) without sampling, or the console encoder for
// log.format=console. Errors carry a stack trace only while the level is
// debug: at other levels an error is its one line (a stack trace after
// "address already in use" tells an operator nothing). Pass it down and derive children with Named. The
// returned level changes it at run time (/log/level, SIGHUP). extra, when
// not nil, gets every entry too (the Windows Event Log), gated by the same
// level.
func newLogger(lc config.Log, extra func(zapcore.LevelEnabler) zapcore.Core) (*zap.Logger, zap.AtomicLevel, error) {
	level, err := zapcore.ParseLevel(lc.Level)
	if err != nil {
		return nil, zap.AtomicLevel{}, err
	}
	atom := zap.NewAtomicLevelAt(level)
	zc := zap.NewProductionConfig()
	zc.Level = atom
	zc.Sampling = nil
	zc.EncoderConfig.EncodeTime = zapcore.ISO8601TimeEncoder
	zc.EncoderConfig.EncodeDuration = zapcore.StringDurationEncoder
	if lc.Format == config.LogFormatConsole {
		zc.Encoding = "console"
		zc.EncoderConfig.EncodeLevel = zapcore.CapitalLevelEncoder
	}
	zc.DisableStacktrace = true
	opts := []zap.Option{zap.AddStacktrace(zap.LevelEnablerFunc(func(l zapcore.Level) bool {
		return l >= zapcore.ErrorLevel && atom.Enabled(zapcore.DebugLevel)
	}))}
	if extra != nil {
		opts = append(opts, zap.WrapCore(func(c zapcore.Core) zapcore.Core { return zapcore.NewTee(c, extra(atom)) }))
	}
	log, err := zc.Build(opts...)
	return log, atom, err
}
