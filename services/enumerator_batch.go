package services

import (
	"context"
	"errors"
	"fmt"

	"github.com/ipamd/ipamd/wsdl/ipam"
)

// rowBatcher sends rows in EnumeratedRowsCallback messages that the
// session's encoder fills up to the bound as it writes them
// (ipam.RowBatch): each row is encoded once, into its message, and no
// message is larger than the bound, envelope and string table included
// (docs/performance.md, "Encoding straight into the batch"). It holds the
// rows not sent yet; want is how many it gathers before it sends: 1 for
// the first message (the first row goes out at once), doubled while the
// messages take every row held, and one more than the last message took
// once they fill up (the one spare row is not encoded: the batch stops
// before a row it does not expect to fit).
type rowBatcher struct {
	ctx   context.Context
	cb    ipam.RowBatchSender
	batch ipam.RowBatch
	want  int
}

// maxHeldRows bounds the rows held for one message (rows of a few dozen
// bytes would otherwise gather by the thousand for a 32 KiB message).
const maxHeldRows = 1024

func newRowBatcher(ctx context.Context, cb ipam.RowBatchSender, limit int) *rowBatcher {
	return &rowBatcher{ctx: ctx, cb: cb, batch: ipam.RowBatch{MaxBytes: limit}, want: 1}
}

func (b *rowBatcher) add(row ipam.AnyIpamObject) error {
	b.batch.Rows = append(b.batch.Rows, row)
	if len(b.batch.Rows) < b.want {
		return nil
	}
	return b.send()
}

// send sends one message with the rows that fit and keeps the others.
func (b *rowBatcher) send() error {
	held := len(b.batch.Rows)
	if err := b.cb.SendRows(b.ctx, &b.batch); err != nil {
		var tooLarge *ipam.RowTooLargeError
		if errors.As(err, &tooLarge) {
			return tooLarge
		}
		return fmt.Errorf("%w: %w", errSend, err)
	}
	n := b.batch.Written
	if n <= 0 || n > held {
		return fmt.Errorf("%w: the message took %d of %d rows", errSend, n, held)
	}
	rest := copy(b.batch.Rows, b.batch.Rows[n:])
	clear(b.batch.Rows[rest:])
	b.batch.Rows = b.batch.Rows[:rest]
	if n < held {
		b.want = n + 1 // full: as many as fit, and one spare
	} else {
		b.want = min(2*b.want, maxHeldRows)
	}
	return nil
}

func (b *rowBatcher) flush() error {
	for len(b.batch.Rows) > 0 {
		if err := b.send(); err != nil {
			return err
		}
	}
	return nil
}
