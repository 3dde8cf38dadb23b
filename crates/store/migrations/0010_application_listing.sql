-- What the application lists filter, search and order on, kept beside the application
-- by whoever writes it (derived from body_json, never edited on its own):
--   worklist_key  the licensing officer's worklist order as one sortable text (cases with
--                 the authority by review deadline, overdue first; then those waiting on
--                 others by the review time left; then decided cases, newest first)
--   destination   the country of destination (ISO 3166-1 alpha-2)
--   search_text   lower-case words a search matches (id, parties, substance, contract)
--   substance_text lower-case substance name
--   summary_json  the fields a list shows, as JSON (a tenth of the application's)
-- Rows written before this migration have '' here until `serve` lists them at start.
ALTER TABLE applications ADD COLUMN worklist_key TEXT NOT NULL DEFAULT '';
ALTER TABLE applications ADD COLUMN destination TEXT NOT NULL DEFAULT '';
ALTER TABLE applications ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
ALTER TABLE applications ADD COLUMN substance_text TEXT NOT NULL DEFAULT '';
ALTER TABLE applications ADD COLUMN summary_json TEXT NOT NULL DEFAULT '';
CREATE INDEX applications_worklist ON applications (worklist_key, id);
CREATE INDEX applications_created ON applications (created_at, id);
