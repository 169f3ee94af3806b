package main

import "testing"

func TestPackageVersion(t *testing.T) {
	for in, want := range map[string]string{
		"v1.2.3":             "1.2.3",
		"1.2":                "1.2",
		"v1.2.3-4-gabcdef12": "1.2.3.4.gabcdef12",
		"v1.2.3-dirty":       "1.2.3.dirty",
		"6532bcb":            "0~git6532bcb", // an untagged commit, even one whose hash starts with a digit
		"abc1234-dirty":      "0~gitabc1234.dirty",
		"dev":                "0~gitdev",
	} {
		if got := packageVersion(in); got != want {
			t.Errorf("packageVersion(%q) = %q, want %q", in, got, want)
		}
	}
}
