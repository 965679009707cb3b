package store

import (
	"context"
	"fmt"
	"time"
)

// Cooldown takes a deployment of a model group out of routing until Until,
// for every gateway instance at once.
type Cooldown struct {
	Group      string    `json:"model_group"`
	Deployment string    `json:"deployment"`
	Until      time.Time `json:"until"`
	Reason     string    `json:"reason,omitempty"`
}

func (c *Cooldown) item() (*Item, error) {
	if err := checkCounter(c.Group); err != nil {
		return nil, invalid("cooldown group: %v", err)
	}
	if err := checkCounter(c.Deployment); err != nil {
		return nil, invalid("cooldown deployment: %v", err)
	}
	if c.Until.IsZero() {
		return nil, invalid("cooldown of %s has no end", c.Deployment)
	}
	doc, err := encode(c)
	if err != nil {
		return nil, err
	}
	return &Item{Table: StateTable, PK: pkCooldown(c.Group), SK: c.Deployment, TTL: ttlOf(c.Until), Doc: doc}, nil
}

// SetCooldown starts (or extends, or shortens) a deployment's cooldown.
func (s *Store) SetCooldown(ctx context.Context, c Cooldown) error {
	c.Until = c.Until.UTC()
	it, err := c.item()
	if err != nil {
		return fmt.Errorf("setting cooldown: %w", err)
	}
	if err := s.write(ctx, &Write{Kind: WritePut, Item: it}); err != nil {
		return fmt.Errorf("setting cooldown of %s: %w", c.Deployment, err)
	}
	return nil
}

// ClearCooldown ends a deployment's cooldown now.
func (s *Store) ClearCooldown(ctx context.Context, group, deployment string) error {
	if err := s.write(ctx, &Write{Kind: WriteDelete, Item: &Item{Table: StateTable, PK: pkCooldown(group), SK: deployment}}); err != nil {
		return fmt.Errorf("clearing cooldown of %s: %w", deployment, err)
	}
	return nil
}

// Cooldowns returns the model group's deployments that are cooling down
// (one query).
func (s *Store) Cooldowns(ctx context.Context, group string) ([]Cooldown, error) {
	if err := checkCounter(group); err != nil {
		return nil, fmt.Errorf("reading cooldowns: %w", invalid("cooldown group: %v", err))
	}
	items, err := s.queryAll(ctx, Query{Table: StateTable, PK: pkCooldown(group)})
	if err != nil {
		return nil, fmt.Errorf("reading cooldowns of %s: %w", group, err)
	}
	out := make([]Cooldown, 0, len(items))
	for _, it := range items {
		var c Cooldown
		if err := decode(it, &c); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}
