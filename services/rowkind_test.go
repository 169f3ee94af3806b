package services

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"testing"
)

// rowKinds is every RowKind the package declares, by name.
var rowKinds = map[string]RowKind{
	"RangeRows": RangeRows, "AddressRows": AddressRows, "BlockRows": BlockRows, "SubnetRows": SubnetRows,
	"CustomFieldRows": CustomFieldRows, "AddressSpaceRows": AddressSpaceRows,
	"LogicalGroupRows": LogicalGroupRows, "CustomFieldAssociationRows": CustomFieldAssociationRows,
	"UnmappedRangeRows": UnmappedRangeRows, "UnmappedAddressRows": UnmappedAddressRows,
	"UnmappedRangeAddressRows": UnmappedRangeAddressRows, "ManagedByRangeRows": ManagedByRangeRows,
	"ManagedByAddressRows": ManagedByAddressRows, "GroupRangeRows": GroupRangeRows, "GroupAddressRows": GroupAddressRows,
	"LogicalGroupNodeRows": LogicalGroupNodeRows, "BlockRangeRows": BlockRangeRows, "BlockAddressRows": BlockAddressRows,
	"FilterRangeRows": FilterRangeRows, "FilterAddressRows": FilterAddressRows,
	"ServerInfoRows": ServerInfoRows, "DataCollectionRows": DataCollectionRows, "GroupDataRows": GroupDataRows,
}

// TestRowKindsDistinct: the row kinds are declared in blocks of their own,
// one per family, each starting at its own offset; two blocks starting at
// the same offset would send one family's query to another's reading (it
// happened once: ServerInfo and the range ByFilter types). Every RowKind
// constant of the package must be listed above, and their values differ.
func TestRowKindsDistinct(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var declared []string
	for _, name := range files {
		if filepath.Ext(name) != ".go" || len(name) > 8 && name[len(name)-8:] == "_test.go" {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST || len(g.Specs) == 0 {
				continue
			}
			first := g.Specs[0].(*ast.ValueSpec)
			if id, ok := first.Type.(*ast.Ident); !ok || id.Name != "RowKind" {
				continue
			}
			for _, s := range g.Specs {
				for _, n := range s.(*ast.ValueSpec).Names {
					declared = append(declared, n.Name)
				}
			}
		}
	}
	slices.Sort(declared)
	for _, n := range declared {
		if _, ok := rowKinds[n]; !ok {
			t.Errorf("RowKind %s is not in rowKinds", n)
		}
	}
	seen := map[RowKind]string{}
	for n, k := range rowKinds {
		if other, ok := seen[k]; ok {
			t.Errorf("%s and %s are both RowKind %d", n, other, k)
		}
		seen[k] = n
	}
	if len(declared) != len(rowKinds) {
		t.Errorf("declared %d row kinds %v, listed %d", len(declared), declared, len(rowKinds))
	}
}
