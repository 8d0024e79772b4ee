-- What the error classifier (src/classify) concluded for a failed request's raw platform error:
-- the cause, the field it names, the rule that decided and the code it maps to. The stored
-- error_code is the data plane's when it sent one, else the classifier's; when both exist and
-- differ, the request page shows both.
ALTER TABLE request_logs ADD COLUMN error_cause TEXT;
ALTER TABLE request_logs ADD COLUMN error_field TEXT;
ALTER TABLE request_logs ADD COLUMN error_rule TEXT;
ALTER TABLE request_logs ADD COLUMN classified_code TEXT;
