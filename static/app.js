// Progressive enhancement only: every page works without this file.
import { initAll } from '/static/vendor/govuk-frontend-6.6.0.min.js';
initAll();
