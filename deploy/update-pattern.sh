#!/usr/bin/env bash
# Rewrites the EventBridge event patterns in deploy/template.yaml and deploy/org-forwarding.yaml
# (between the "# BEGIN detector pattern" / "# END detector pattern" markers) from the live
# output of `detector pattern`, i.e. from the events the loaded rule pack declares. Run it after
# adding or changing a rule's `events`; TestDeployTemplatesCarryDetectorPattern fails until the
# templates match. Same as `go generate ./internal/function`.
set -euo pipefail
cd "$(dirname "$0")/.."
go test ./internal/function -run '^TestDeployTemplatesCarryDetectorPattern$' -count=1 -update-pattern
git --no-pager diff --stat -- deploy/template.yaml deploy/org-forwarding.yaml || true
