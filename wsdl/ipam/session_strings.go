package ipam

// CollectsSessionStrings marks EnumeratedRowsCallback as a message of
// repeated data: on the binary session encoding its names and namespaces
// go into the connection's NBFSE string table once and are written as
// ids after that, as WCF writes its data contracts' names (soap.Codec,
// docs/protocol.md "Binary session encoding").
func (v *EnumeratedRowsCallback) CollectsSessionStrings() bool { return true }
