package services

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"go.uber.org/zap"

	"github.com/ipamd/ipamd/duplex/contain"
	"github.com/ipamd/ipamd/services/adm"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// RowKind is what an enumeration reads.
type RowKind int

// The kinds of rows (the object families ipamd enumerates so far).
const (
	RangeRows   RowKind = iota + 1 // IPv4Range / IPv6Range
	AddressRows                    // IpamIPv4Address / IpamIPv6Address
	// The kinds of enumerator_blocks.go.
	BlockRows        // IPv4Block / IPv6Block
	SubnetRows       // IPv4Subnet / IPv6Subnet
	AddressSpaceRows // ProviderAddressSpace / CustomerAddressSpace
	CustomFieldRows  // CustomField
)

// RowQuery is what an InitializeEnumeration's parameters select (the
// mapping is in docs/protocol.md, "IIpamEnumerator"). Nil filters do not
// filter.
type RowQuery struct {
	Kind           RowKind
	IPv6           bool
	AddressSpaceID *int64
	RangeID        *int64
	Category       *string
	Virtualization []string // IPVirtualizationType flags; nil is any

	// Blocks: the block, subnet, address space and custom field selections.
	Blocks *BlockQuery
	// Groups: the logical group selection (enumerator_groups.go).
	Groups *GroupQuery
	// Filter: the FilterInfo of a ByFilter parameter type; rows it does not
	// keep are not sent (enumerator_filter.go).
	Filter *RowFilter
	// Tables: the ADM tables a DataCollectionRows type reads
	// (enumerator_servers.go).
	Tables []string
}

// RowSource reads enumeration rows: in one read transaction, each row
// handed to emit as it is read (so a slow emit slows the reading), the
// query cancelled with ctx. An emit error ends it and is returned.
type RowSource interface {
	EnumerateRows(ctx context.Context, q RowQuery, emit func(ipam.AnyIpamObject) error) error
}

// DefaultMaxBatchBytes bounds one EnumeratedRowsCallback: the whole
// message as encoded when the callback client writes rows straight into
// it (ipam.RowBatchSender, the sessions' client), else the rows' estimated
// text size. Well under the 64 KiB a WCF client accepts by default
// (MaxReceivedMessageSize 65536).
const DefaultMaxBatchBytes = 32 << 10

// Enumerator is the IIpamEnumerator service (MS-IPAMM2 3.5).
type Enumerator struct {
	Store Store     // the ADM flags, for the pre-operation gating (3.1.4.2)
	Rows  RowSource // the data
	// MaxBatchBytes bounds one EnumeratedRowsCallback; 0 is
	// DefaultMaxBatchBytes. SetMaxBatchBytes replaces it while serving.
	MaxBatchBytes int
	Logger        *zap.Logger // nil logs nothing

	reloaded atomic.Int64 // SetMaxBatchBytes's bound; 0: MaxBatchBytes
}

// SetMaxBatchBytes bounds the EnumeratedRowsCallback messages of the
// enumerations started from now on (a reload of limits.max_message_size).
func (e *Enumerator) SetMaxBatchBytes(n int) { e.reloaded.Store(int64(max(n, 0))) }

// BatchBytes is the bound an enumeration starting now uses.
func (e *Enumerator) BatchBytes() int {
	if n := e.reloaded.Load(); n > 0 {
		return int(n)
	}
	if e.MaxBatchBytes > 0 {
		return e.MaxBatchBytes
	}
	return DefaultMaxBatchBytes
}

// NewSession returns the port implementation for one session.
func (e *Enumerator) NewSession(cb ipam.IIpamEnumeratorCallback) ipam.IIpamEnumerator {
	return &enumeratorSession{svc: e, cb: cb}
}

type enumeratorSession struct {
	svc   *Enumerator
	cb    ipam.IIpamEnumeratorCallback
	query *RowQuery // EnumInputParameters, once valid
}

// InitializeEnumeration (3.5.4.4): gate, validate, keep the parameters.
// A fault leaves the session in Session Initialized (3.5.1.1).
func (s *enumeratorSession) InitializeEnumeration(ctx context.Context, req *ipam.InitializeEnumeration) (*ipam.InitializeEnumerationResponse, error) {
	if err := s.initialize(ctx, req.Parameters); err != nil {
		return nil, err
	}
	return &ipam.InitializeEnumerationResponse{}, nil
}

// InitializeEnumerationWithModule (3.5.4.5): as InitializeEnumeration; the
// remoting module must be present and carries nothing ipamd uses.
func (s *enumeratorSession) InitializeEnumerationWithModule(ctx context.Context, req *ipam.InitializeEnumerationWithModule) (*ipam.InitializeEnumerationWithModuleResponse, error) {
	if req.RemotingModule == nil {
		return nil, ipam.NewException(ipam.IpamApiInvalidParameter, "InitializeEnumerationWithModule: remotingModule is missing")
	}
	if err := s.initialize(ctx, req.Parameters); err != nil {
		return nil, err
	}
	return &ipam.InitializeEnumerationWithModuleResponse{}, nil
}

func (s *enumeratorSession) initialize(ctx context.Context, p ipam.AnyEnumerationParametersBase) error {
	if exc := PreOperation(ctx, s.svc.Store, ipam.PortIIpamEnumerator); exc != nil {
		return exc
	}
	q, exc := RowQueryFor(p)
	if exc != nil {
		return exc
	}
	s.query = q
	return nil
}

// RowQueryFor validates enumeration parameters (3.5.4.4 steps 2–4) and
// returns what they select; a parameter type ipamd does not serve is
// IpamApiInvalidEnumeration.
func RowQueryFor(p ipam.AnyEnumerationParametersBase) (*RowQuery, *ipam.IpamException) {
	if p == nil {
		return nil, ipam.NewException(ipam.IpamApiInvalidParameter, "InitializeEnumeration: parameters are missing")
	}
	ot := p.GetEnumerationParametersBase().ObjectType
	if !ot.Valid() || ot == ipam.EnumerationObjectTypeNone {
		return nil, ipam.NewException(ipam.IpamApiInvalidEnumeration, "ObjectType must name an object type")
	}
	var (
		q      RowQuery
		want   ipam.EnumerationObjectType
		family ipam.AddressFamily
		virt   *string
	)
	switch v := p.(type) {
	case *ipam.IPRangeByAddressSpaceAndVirtualizationTypeParameters: // 3.5.4.8.1.64
		q, want, family, virt = RowQuery{Kind: RangeRows, AddressSpaceID: &v.AddressSpaceRecordID}, ipam.EnumerationObjectTypeIPRange, v.AddressFamily, v.VirtualizationType
	case *ipam.IPRangeRootEnumerationParameters: // 3.5.4.8.1.70
		q, want, family = RowQuery{Kind: RangeRows, Category: categoryOf(v.AddressCategory)}, ipam.EnumerationObjectTypeIPRange, v.AddressFamily
	case *ipam.IpamIPAddressByAddressSpaceAndVirtualizationTypeParameters: // 3.5.4.8.1.40
		q, want, family, virt = RowQuery{Kind: AddressRows, AddressSpaceID: &v.AddressSpaceRecordID}, ipam.EnumerationObjectTypeIPAddress, v.AddressFamily, v.VirtualizationType
	case *ipam.IpamIPAddressByRangeIdEnumerationParameters: // 3.5.4.8.1.44
		if v.RangeId == nil || *v.RangeId == 0 {
			return nil, ipam.NewException(ipam.IpamApiInvalidParameter, "IpamIPAddressByRangeIdEnumerationParameters: RangeId is required")
		}
		q, want, family = RowQuery{Kind: AddressRows, RangeID: v.RangeId}, ipam.EnumerationObjectTypeIPAddress, v.AddressFamily
	case *ipam.IpamIPAddressRootAddressesEnumerationParameters: // 3.5.4.8.1.48
		q, want, family = RowQuery{Kind: AddressRows, Category: categoryOf(v.AddressCategory)}, ipam.EnumerationObjectTypeIPAddress, v.AddressFamily
	default:
		m, exc := moreRowQuery(p) // enumerator_blocks.go
		if exc != nil {
			return nil, exc
		}
		if m.noFamily {
			if ot != m.want {
				return nil, ipam.NewException(ipam.IpamApiInvalidEnumeration, "ObjectType %s does not fit the parameter type (want %s)", ot, m.want)
			}
			return &m.q, nil
		}
		q, want, family, virt = m.q, m.want, m.family, m.virt
	}
	if ot != want {
		return nil, ipam.NewException(ipam.IpamApiInvalidEnumeration, "ObjectType %s does not fit the parameter type (want %s)", ot, want)
	}
	switch family {
	case ipam.AddressFamilyInterNetwork:
	case ipam.AddressFamilyInterNetworkV6:
		q.IPv6 = true
	default:
		return nil, ipam.NewException(ipam.IpamApiInvalidAddressFamily, "AddressFamily must be InterNetwork or InterNetworkV6")
	}
	if virt != nil {
		for _, f := range strings.Fields(*virt) {
			switch f {
			case "NonVirtualized", "Fabric", "Virtual":
				q.Virtualization = append(q.Virtualization, f)
			default:
				return nil, ipam.NewException(ipam.IpamApiInvalidParameter, "VirtualizationType: %q is not an IPVirtualizationType", f)
			}
		}
	}
	return &q, nil
}

func categoryOf(c *ipam.AddressCategory) *string {
	if c == nil {
		return nil
	}
	s := string(*c)
	return &s
}

// StartEnumeration (3.5.4.8): NotifyEnumerationStart, then the rows in
// batches, then NotifyEnumerationComplete, off the session's reader
// goroutine so Keepalives are still read while the rows go out.
func (s *enumeratorSession) StartEnumeration(ctx context.Context, _ *ipam.StartEnumeration) error {
	if err := s.cb.NotifyEnumerationStart(ctx); err != nil {
		return err
	}
	if exc := PreOperation(ctx, s.svc.Store, ipam.PortIIpamEnumerator); exc != nil {
		return s.cb.NotifyEnumerationComplete(ctx, nil, exc)
	}
	if s.query == nil { // the state machine lets no Start through before Initialize
		return s.cb.NotifyEnumerationComplete(ctx, nil, ipam.NewException(ipam.IpamApiInvalidParameter, "StartEnumeration before InitializeEnumeration"))
	}
	q := *s.query
	go s.run(ctx, q)
	return nil
}

func (s *enumeratorSession) run(ctx context.Context, q RowQuery) {
	exc := s.stream(ctx, q)
	if exc != nil && s.svc.Logger != nil && ctx.Err() == nil {
		s.svc.Logger.Warn("enumeration failed", zap.String("ipam_exception_id", exc.ExceptionID), zap.String("reason", exc.Message))
	}
	// Complete goes out even when ctx ended; it then fails harmlessly on
	// the closed transport.
	_ = s.cb.NotifyEnumerationComplete(ctx, nil, exc)
}

// stream reads and sends the rows; the error is what Complete carries.
func (s *enumeratorSession) stream(ctx context.Context, q RowQuery) (exc *ipam.IpamException) {
	defer func() {
		if p := recover(); p != nil {
			_ = contain.Recovered(s.svc.Logger, "enumeration", p)
			exc = ipam.NewException(ipam.IpamApiGenericErrorOccurred, "the enumeration failed with an internal error (logged by the server)")
		}
	}()
	limit := s.svc.BatchBytes()
	var b interface {
		add(ipam.AnyIpamObject) error
		flush() error
	}
	if rs, ok := s.cb.(ipam.RowBatchSender); ok {
		b = newRowBatcher(ctx, rs, limit) // enumerator_batch.go
	} else {
		b = &batcher{limit: limit, send: func(rows []ipam.AnyIpamObject) error {
			ipam.AssignIDs(rows)
			return s.cb.EnumeratedRowsCallback(ctx, rows)
		}}
	}
	err := s.svc.Rows.EnumerateRows(ctx, q, b.add)
	if err == nil {
		err = b.flush()
	}
	if err == nil {
		return nil
	}
	if tooLarge := (*ipam.RowTooLargeError)(nil); errors.As(err, &tooLarge) {
		return ipam.NewException(ipam.IpamApiFetchFailed, "%v", tooLarge)
	}
	if errors.Is(err, errSend) {
		return ipam.NewException(ipam.IpamApiGenericErrorOccurred, "sending the rows failed: %v", err)
	}
	if ctx.Err() != nil {
		return ipam.NewException(ipam.IpamApiFetchFailed, "the enumeration was cancelled: %v", context.Cause(ctx))
	}
	return adm.Exception(err, ipam.IpamApiFetchFailed)
}

// errSend marks a failed EnumeratedRowsCallback (the session is gone).
var errSend = errors.New("EnumeratedRowsCallback not sent")

// batcher collects rows into messages of at most limit estimated bytes
// (one row over the limit goes alone). It holds one batch at a time. It
// serves a callback client that cannot write rows straight into their
// message (not an ipam.RowBatchSender; the sessions' client is one:
// enumerator_batch.go).
type batcher struct {
	limit int
	send  func([]ipam.AnyIpamObject) error
	rows  []ipam.AnyIpamObject
	size  int
	count sizeCounter // reused for each row
}

func (b *batcher) add(row ipam.AnyIpamObject) error {
	b.count.n, b.count.names = 0, b.count.names[:0]
	_ = ipam.WriteItem(&b.count, row)
	n := b.count.n
	if len(b.rows) > 0 && b.size+n > b.limit {
		if err := b.flush(); err != nil {
			return err
		}
	}
	b.rows = append(b.rows, row)
	b.size += n
	return nil
}

func (b *batcher) flush() error {
	if len(b.rows) == 0 {
		return nil
	}
	err := b.send(b.rows)
	clear(b.rows)
	b.rows, b.size = b.rows[:0], 0
	if err != nil {
		return fmt.Errorf("%w: %w", errSend, err)
	}
	return nil
}

// sizeCounter is the size of a row written as text XML, roughly: every
// name twice, every attribute and text, a prefix and brackets each. The
// binary encodings write less (dictionary strings, no end tag names), so
// it bounds them too.
type sizeCounter struct {
	n     int
	names []int
}

func (c *sizeCounter) StartElement(prefix, local, space string) error {
	l := len(prefix) + len(local) + 1
	c.names = append(c.names, l)
	c.n += l + 2
	if space != ipam.Namespace {
		c.n += 2 // a prefix (rows declare foreign namespaces once per member: XmlnsAttr)
	}
	return nil
}

func (c *sizeCounter) Attr(prefix, local, space, value string) error {
	c.n += len(prefix) + len(local) + len(value) + 5
	if space != "" && prefix != "i" {
		c.n += len(space) + 10 // its prefix's declaration (i: is declared on the row)
	}
	return nil
}

func (c *sizeCounter) XmlnsAttr(prefix, space string) error {
	c.n += len(prefix) + len(space) + 10
	return nil
}

func (c *sizeCounter) Text(s string) error {
	c.n += len(s) + len(s)/8 // room for escapes
	return nil
}

func (c *sizeCounter) EndElement() error {
	l := c.names[len(c.names)-1]
	c.names = c.names[:len(c.names)-1]
	c.n += l + 3
	return nil
}

func (c *sizeCounter) Close() error { return nil }
