package config

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/tollgate-gw/tollgate/internal/provider/catalog"
)

// WriteTable prints what `gateway -check FILE` shows: one aligned row per
// deployment (model name, provider, model id, api_base, where the API key
// comes from, region, tags), then the notices. It names where credentials
// come from and never prints a credential.
func (c *Config) WriteTable(w io.Writer) error {
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MODEL NAME\tPROVIDER\tMODEL ID\tAPI BASE\tAPI KEY\tREGION\tTAGS")
	for i := range c.ModelList {
		d := &c.ModelList[i]
		provider := d.Provider
		if d.Route != "" {
			provider += " (" + d.Route + ")"
		}
		tags := "-"
		if len(d.Params.Tags) > 0 {
			tags = strings.Join(d.Params.Tags, ",")
		}
		cells := []string{d.ModelName, provider, d.ModelID, c.baseSource(d), c.keySource(d), region(d), tags}
		for j, cell := range cells {
			cells[j] = cellText(cell)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	if len(c.ModelList) == 0 {
		fmt.Fprintln(tw, "(no models)")
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("writing model table: %w", err)
	}
	switch len(c.Notices) {
	case 0:
		fmt.Fprintln(&buf, "\nno notices: every setting is honoured")
	case 1:
		fmt.Fprintln(&buf, "\n1 notice:")
	default:
		fmt.Fprintf(&buf, "\n%d notices:\n", len(c.Notices))
	}
	for _, n := range c.Notices {
		fmt.Fprintln(&buf, n.String())
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("writing model table: %w", err)
	}
	return nil
}

// cellText keeps a cell on one line and in one column.
func cellText(s string) string {
	if s == "" {
		return "-"
	}
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s)
}

// baseSource is the api_base, or where the default comes from.
func (c *Config) baseSource(d *Deployment) string {
	if d.Params.APIBase != "" {
		return d.Params.APIBase
	}
	if p, ok := catalog.Lookup(d.Provider); ok && p.BaseEnv != "" {
		if v, ok := c.LookupEnv(p.BaseEnv); ok && v != "" {
			return "env " + p.BaseEnv
		}
	}
	return "(default)"
}

// keySource says where a deployment's credential comes from.
func (c *Config) keySource(d *Deployment) string {
	p := &d.Params
	if p.APIKey.IsSet() {
		if e := p.APIKey.EnvVar(); e != "" {
			return "env " + e
		}
		return "api_key"
	}
	prov, ok := catalog.Lookup(d.Provider)
	if !ok {
		return "(none)"
	}
	if prov.Family == catalog.FamilyBedrock {
		switch {
		case p.AWSRoleName != "":
			return "aws role " + p.AWSRoleName
		case p.AWSAccessKeyID != "":
			if e := p.AWSSecretAccessKey.EnvVar(); e != "" {
				return "aws access key (env " + e + ")"
			}
			return "aws access key"
		case p.AWSProfileName != "":
			return "aws profile " + p.AWSProfileName
		case p.AWSWebIdentityToken.IsSet():
			return "aws web identity"
		}
		return "aws default chain"
	}
	for _, name := range prov.KeyEnv {
		if v, ok := c.LookupEnv(name); ok && v != "" {
			return "env " + name
		}
	}
	if len(prov.KeyEnv) > 0 && !prov.KeyOptional {
		return "env " + prov.KeyEnv[0] + " (not set)"
	}
	return "(none)"
}

func region(d *Deployment) string {
	switch {
	case d.Params.AWSRegionName != "":
		return d.Params.AWSRegionName
	case d.Params.VertexLocation != "":
		return d.Params.VertexLocation
	case d.Params.RegionName != "":
		return d.Params.RegionName
	case d.Provider == "bedrock":
		return "(default)"
	}
	return "-"
}
