-- What the error classifier (src/classify) concluded for a failed sync run's raw platform
-- error, as for request logs (0009): the cause, the field it names, the rule that decided, the
-- code it maps to, and the confidence of the stored code when the classifier assigned it.
ALTER TABLE sync_runs ADD COLUMN error_cause TEXT;
ALTER TABLE sync_runs ADD COLUMN error_field TEXT;
ALTER TABLE sync_runs ADD COLUMN error_rule TEXT;
ALTER TABLE sync_runs ADD COLUMN classified_code TEXT;
ALTER TABLE sync_runs ADD COLUMN error_confidence TEXT;
