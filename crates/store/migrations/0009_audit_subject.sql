-- A case page shows the audit entries of its record: found by subject, in order,
-- without reading the whole chain.
CREATE INDEX audit_log_subject ON audit_log (subject, seq);
