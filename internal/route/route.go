// Package route delivers each alert to the destinations it belongs to: a team rule's alerts
// to that team's routes, built-in alerts to the default route and to every team subscribed
// to them (by rule id or minimum severity), and health alerts about a team's pack to both
// the team and the default route. A team without routes has its alerts delivered to the
// default route, so nothing is lost for want of a queue.
package route

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/delivery"
	"github.com/trailhound/trailhound/internal/rule"
	"github.com/trailhound/trailhound/internal/team"
)

// Opener builds the sender for a team's routes (see AWSOpener).
type Opener func(teamName string, r team.Routes) (delivery.Sender, error)

// DefaultName names the default route in errors and Destinations.
const DefaultName = "default"

// Router is a delivery.Sender that picks each alert's destinations. It is safe for concurrent use.
type Router struct {
	def         delivery.Sender
	teams       map[string]*teamRoute
	subscribers []*teamRoute // teams with routes and subscriptions, sorted by name
	healthRule  string
	builtinTeam string
	staging     delivery.Sender // staged rules' alerts; nil: none configured
}

type teamRoute struct {
	name        string
	sender      delivery.Sender // nil: the team has no routes
	ids         map[string]bool
	minSeverity rule.Severity
}

// Options name the rule ids and team the Router treats specially.
type Options struct {
	// HealthRuleID is the rule id of health alerts, which go to their team and the default.
	HealthRuleID string
	// BuiltinTeam is the Team of built-in rules, which go to the default and subscribers.
	BuiltinTeam string
	// Staging is where alerts of staged rules (alert.Tuning.Staged) go, and nowhere else:
	// the org tuning file's staging_routes. Empty: no staging route; sending a staged
	// alert is then an error, never a silent drop.
	Staging team.Routes
}

// StagingName names the staging route in errors and Destinations.
const StagingName = "tuning-staging" // not a team name: those have no "-"

// New builds a Router over the default sender and the teams' routes, opening one sender
// per team that has routes.
func New(def delivery.Sender, teams map[string]*team.Pack, open Opener, opts Options) (*Router, error) {
	r := &Router{def: def, teams: map[string]*teamRoute{}, healthRule: opts.HealthRuleID, builtinTeam: opts.BuiltinTeam}
	if !opts.Staging.Empty() {
		s, err := open(StagingName, opts.Staging)
		if err != nil {
			return nil, fmt.Errorf("staging routes: %w", err)
		}
		r.staging = s
	}
	names := make([]string, 0, len(teams))
	for name := range teams {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		f := teams[name].File
		tr := &teamRoute{name: name, ids: map[string]bool{}}
		if !f.Routes.Empty() {
			s, err := open(name, f.Routes)
			if err != nil {
				return nil, fmt.Errorf("team %s: routes: %w", name, err)
			}
			tr.sender = s
		}
		for _, id := range f.Subscriptions.IDs {
			tr.ids[id] = true
		}
		if f.Subscriptions.MinSeverity != "" {
			sev, err := rule.ParseSeverity(f.Subscriptions.MinSeverity)
			if err != nil {
				return nil, fmt.Errorf("team %s: subscriptions.min_severity: %w", name, err)
			}
			tr.minSeverity = sev
		}
		r.teams[name] = tr
		if tr.sender != nil && (len(tr.ids) > 0 || tr.minSeverity.Valid()) {
			r.subscribers = append(r.subscribers, tr)
		}
	}
	return r, nil
}

// Destinations names the routes an alert goes to: DefaultName and/or team names.
func (r *Router) Destinations(a *alert.Alert) []string {
	var out []string
	own := r.teams[a.Rule.Team]
	switch {
	case a.Tuning != nil && a.Tuning.Staged:
		out = append(out, StagingName)
	case a.Rule.Team == r.builtinTeam || a.Rule.Team == "":
		out = append(out, DefaultName)
		sev, _ := rule.ParseSeverity(a.Severity)
		for _, t := range r.subscribers {
			if t.ids[a.Rule.ID] || (t.minSeverity.Valid() && sev >= t.minSeverity) {
				out = append(out, t.name)
			}
		}
	case own == nil || own.sender == nil:
		out = append(out, DefaultName) // an unknown team, or one without routes
	case a.Rule.ID == r.healthRule:
		out = append(out, own.name, DefaultName)
	default:
		out = append(out, own.name)
	}
	return out
}

// Send delivers each alert to its destinations, every destination concurrently. Each route
// is a destination (internal/delivery): an alert an earlier attempt delivered to a route is
// not sent there again, and the error names, per alert, each route that failed (an alert
// that fails on a team route does not fail at the default route). The routes that succeeded
// are not undone.
func (r *Router) Send(ctx context.Context, alerts []*alert.Alert) error {
	groups := map[string][]*alert.Alert{}
	for _, a := range alerts {
		for _, d := range r.Destinations(a) {
			if !delivery.Skip(ctx, a.ID, delivery.Destination(ctx, d)) {
				groups[d] = append(groups[d], a)
			}
		}
	}
	names := make([]string, 0, len(groups))
	for d := range groups {
		names = append(names, d)
	}
	slices.Sort(names)
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, d := range names {
		s := r.def
		switch {
		case d == StagingName:
			s = r.staging
		case d != DefaultName:
			s = r.teams[d].sender
		}
		if s == nil {
			errs[i] = fmt.Errorf("route %s: not configured (staged alerts need the tuning file's staging_routes)", d)
			continue
		}
		wg.Go(func() {
			group := groups[d]
			ids := make([]string, len(group))
			for j, a := range group {
				ids[j] = a.ID
			}
			failed := delivery.Attribute(s.Send(delivery.Within(ctx, d), group), ids)
			var routeErrs []error
			for _, id := range ids {
				delivery.Record(ctx, id, delivery.Destination(ctx, d), failed[id])
				if failed[id] != nil {
					routeErrs = append(routeErrs, &delivery.AlertError{AlertID: id, Err: fmt.Errorf("route %s: %w", d, failed[id])})
				}
			}
			errs[i] = errors.Join(routeErrs...)
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
