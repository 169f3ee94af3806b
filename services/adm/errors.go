package adm

import (
	"context"
	"errors"

	"github.com/ipamd/ipamd/wsdl/ipam"
)

// The domain errors of the rules. Packages return them (wrapped with %w,
// or as their own cases made with Define) and branch on them with
// errors.Is; Exception turns them into the IpamExceptionId of the table.
var (
	// ErrNotConfigured: the server is not provisioned and the operation's
	// port type is not IIpamAsyncProvision (3.1.4.2 step 3).
	ErrNotConfigured = errors.New("the IPAM server is not provisioned yet: only IIpamAsyncProvision is available")
	// ErrConversionPending: the store needs a schema conversion and the
	// operation's port type is not IIpamAsyncSchemaConversion (step 4).
	ErrConversionPending = errors.New("the IPAM data store needs a schema conversion first: only IIpamAsyncSchemaConversion is available")
	// ErrProvisioningInProgress: another session or process is provisioning.
	ErrProvisioningInProgress = errors.New("provisioning already in progress")
	// ErrAlreadyProvisioned: the server or the database already holds an IPAM store.
	ErrAlreadyProvisioned = errors.New("already provisioned")
	// ErrNotProvisioned: there is no IPAM store to convert.
	ErrNotProvisioned = errors.New("not provisioned")
	// ErrConversionInProgress: another session or process holds the conversion mark.
	ErrConversionInProgress = errors.New("schema conversion already in progress")
	// ErrConversionNotRequired: the store is at the current schema version.
	ErrConversionNotRequired = errors.New("schema conversion not required")
	// ErrHigherVersion: the store is at a schema version newer than this ipamd.
	ErrHigherVersion = errors.New("store schema is newer than this ipamd")
	// ErrVersionNotConvertible: no conversion leads from the store's version.
	ErrVersionNotConvertible = errors.New("no schema conversion exists for this version")
	// ErrUnreachable: the database could not be opened or reached.
	ErrUnreachable = errors.New("database unreachable")
	// ErrInvalidConfiguration: the database asked for is not allowed or
	// not usable as an IPAM store.
	ErrInvalidConfiguration = errors.New("invalid database configuration")
	// ErrPopulationFailed: a provisioning step that creates or fills the store failed.
	ErrPopulationFailed = errors.New("database creation or population failed")
	// ErrRBACFailed: a provisioning step that sets up role-based access failed.
	ErrRBACFailed = errors.New("RBAC provisioning failed")
	// ErrLeaseLost: the conversion lease expired and another owner took it.
	ErrLeaseLost = errors.New("lease lost")
	// ErrStorageFull: the data store's disk or file system is full (SQLite
	// SQLITE_FULL, ENOSPC, PostgreSQL 53100): the operator frees space and
	// starts again; a conversion resumes.
	ErrStorageFull = errors.New("the data store's disk is full: free space and start again (a conversion resumes where it stopped)")
	// ErrNotSettled: a job's work succeeded but its End found the result
	// did not hold (a conversion that left the store at an old version).
	ErrNotSettled = errors.New("the work's result did not hold")
)

// exceptionIDs is THE table from domain error to IpamExceptionId (2.2.5.67),
// checked in order with errors.Is: the first row an error is wins. An empty
// id is the caller's fallback (the port type's generic failure id) with the
// error's text kept.
var exceptionIDs = []struct {
	err error
	id  string
}{
	{ErrNotConfigured, ipam.IpamApiCallsAreNotAllowedUntilProvisioningIsDone},
	{ErrConversionPending, ipam.IpamApiCallsAreNotAllowedUntilSchemaConversionIsDone},
	{ErrInvalidConfiguration, ipam.IpamApiErrorInvalidDatabaseConfiguration},
	{ErrUnreachable, ipam.IpamApiErrorSQLServiceConfigurationFailed},
	{ErrProvisioningInProgress, ipam.IpamApiProvisioningAlreadyInProgress},
	{ErrAlreadyProvisioned, ipam.IpamApiErrorIpamAlreadyProvisioned},
	{ErrHigherVersion, ipam.IpamApiErrorDatabaseIsAtHigherVersion},
	{ErrVersionNotConvertible, ipam.IpamSchemaConversionCouldNotBeDoneForThisVersion},
	{ErrConversionInProgress, ipam.IpamSchemaConversionAnotherOperationInProgress},
	{ErrConversionNotRequired, ipam.IpamSchemaConversionNotRequired},
	{ErrNotProvisioned, ipam.IpamErrorIPAMNotProvisioned},
	{ErrLeaseLost, ipam.IpamSchemaConversionFailed},
	{ErrRBACFailed, ipam.IpamApiRBACProvisioningFailed},
	{ErrPopulationFailed, ipam.IpamApiErrorDatabaseCreationOrPopulationFailed},
	{ErrStorageFull, ""},
	{ErrNotSettled, ""},
	// Cancelled work (a graceful stop, the session ending) is the port
	// type's failure; the text says why.
	{context.Canceled, ""},
	{context.DeadlineExceeded, ""},
}

// InternalErrorMessage is the message of an exception made from an error
// the table does not know: its text may hold internals (paths, SQL, driver
// details) and stays in the server's log.
const InternalErrorMessage = "the operation failed with an internal error (logged by the server)"

// Exception returns the IpamException the client sees for err: err itself
// when it is (or wraps) an IpamException; the table's id with err's text
// when err is one of the domain errors; otherwise fallback with
// InternalErrorMessage. fallback "" is IpamApiGenericErrorOccurred. A nil
// err is a nil exception.
func Exception(err error, fallback string) *ipam.IpamException {
	if err == nil {
		return nil
	}
	if fallback == "" {
		fallback = ipam.IpamApiGenericErrorOccurred
	}
	var exc *ipam.IpamException
	if errors.As(err, &exc) {
		return exc
	}
	for _, row := range exceptionIDs {
		if errors.Is(err, row.err) {
			id := row.id
			if id == "" {
				id = fallback
			}
			return ipam.NewException(id, "%v", err)
		}
	}
	return ipam.NewException(fallback, "%s", InternalErrorMessage)
}

// Known reports whether Exception keeps err's text: it is an IpamException
// or one of the domain errors. An edge that maps an unknown error logs it.
func Known(err error) bool {
	var exc *ipam.IpamException
	if errors.As(err, &exc) {
		return true
	}
	for _, row := range exceptionIDs {
		if errors.Is(err, row.err) {
			return true
		}
	}
	return false
}

// Define returns a new error with its own text that is also kind
// (errors.Is), so a package can name its own case of a domain error, e.g.
// a path that changed since it was checked is an ErrInvalidConfiguration.
func Define(kind error, text string) error { return &defined{text, kind} }

type defined struct {
	text string
	kind error
}

func (e *defined) Error() string { return e.text }
func (e *defined) Unwrap() error { return e.kind }

// Or returns err as it is when the table knows it, and otherwise err with
// the same text classified as kind: a layer that knows what an unexpected
// failure means (the store failing to read its own state is
// ErrUnreachable) says so without rewording it. A nil err stays nil.
func Or(err, kind error) error {
	if err == nil || Known(err) {
		return err
	}
	return &classified{err, kind}
}

type classified struct{ err, kind error }

func (e *classified) Error() string   { return e.err.Error() }
func (e *classified) Unwrap() []error { return []error{e.err, e.kind} }
