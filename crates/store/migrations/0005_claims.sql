-- Claims about another party (issue 11 item 3): an alert raised by one enterprise's event
-- about another enterprise names it here and counts against it only once an authority
-- has confirmed it. Portable SQL as 0001.
ALTER TABLE alerts ADD COLUMN concerns_org TEXT;
ALTER TABLE alerts ADD COLUMN confirmed_by TEXT;
ALTER TABLE alerts ADD COLUMN confirmed_at TEXT;
ALTER TABLE alerts ADD COLUMN confirmation TEXT;
CREATE INDEX alerts_concerns ON alerts (concerns_org, at);
