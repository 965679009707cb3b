package app

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"

	"github.com/tollgate-gw/tollgate/internal/env"
)

// Describe prints what a function offers its deployment: with routes, the
// route patterns it serves in Lambda, one a line; else the environment
// variables it reads, as JSON. The CDK app's tests run both against the
// stack they synthesize.
func Describe(w io.Writer, fn env.Function, groups Groups, routes bool) error {
	if routes {
		for _, p := range slices.Sorted(slices.Values(Routes(groups))) {
			if _, err := fmt.Fprintln(w, p); err != nil {
				return err
			}
		}
		return nil
	}
	type variable struct {
		Name        string `json:"name"`
		LambdaGroup string `json:"lambda_group,omitempty"`
	}
	var vars []variable
	for _, v := range env.Vars {
		for _, f := range v.Functions {
			if f == fn {
				vars = append(vars, variable{v.Name, v.LambdaGroup})
			}
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(vars)
}
