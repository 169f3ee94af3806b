package main

import (
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/ipamd/ipamd/config"
)

// newLogger builds the root logger: zap's production config (JSON to
// stderr, ISO8601 time) without sampling, or the console encoder for
// log.format=console. Pass it down and derive children with Named.
func newLogger(lc config.Log) (*zap.Logger, error) {
	level, err := zapcore.ParseLevel(lc.Level)
	if err != nil {
		return nil, err
	}
	zc := zap.NewProductionConfig()
	zc.Level = zap.NewAtomicLevelAt(level)
	zc.Sampling = nil
	zc.EncoderConfig.EncodeTime = zapcore.ISO8601TimeEncoder
	zc.EncoderConfig.EncodeDuration = zapcore.StringDurationEncoder
	if lc.Format == config.LogFormatConsole {
		zc.Encoding = "console"
		zc.EncoderConfig.EncodeLevel = zapcore.CapitalLevelEncoder
	}
	return zc.Build()
}
