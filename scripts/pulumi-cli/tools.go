//go:build tools

// Package tools records the Pulumi CLI main package as a dependency of the
// wrapper module, so that `go mod tidy` resolves everything it needs.
package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
