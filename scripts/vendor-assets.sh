#!/usr/bin/env bash
# Re-creates the vendored front-end assets in static/vendor and tests/browser from the npm
# registry. Nothing at build or run time needs Node.js: the outputs are committed. Run it only to
# upgrade a pinned version, then update the file names in src/web/assets.rs and the layout.
set -euo pipefail
GOVUK=6.6.0 HTMX=2.0.11 AXE=4.14.1
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
cd "$work"
npm init -y >/dev/null
npm install --no-audit --no-fund "govuk-frontend@$GOVUK" "htmx.org@$HTMX" "axe-core@$AXE" sass >/dev/null
# procurekit is not a GOV.UK service: compile the Sass with Arial instead of GDS Transport
# (which also drops the @font-face rules) and without the crown.
npx sass --style=compressed --no-source-map --load-path=node_modules \
  "$root/scripts/govuk-frontend.scss" "$root/static/vendor/govuk-frontend-$GOVUK.css"
sed 's|//# sourceMappingURL=.*||' node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js \
  > "$root/static/vendor/govuk-frontend-$GOVUK.min.js"
cp node_modules/htmx.org/dist/htmx.min.js "$root/static/vendor/htmx-$HTMX.min.js"
cp node_modules/axe-core/axe.min.js "$root/tests/browser/axe-core-$AXE.min.js"
rm -rf "$work"
