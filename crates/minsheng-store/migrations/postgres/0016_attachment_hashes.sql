-- The sweep asks which stored files some attachment still names.
CREATE INDEX attachments_sha256 ON attachments(sha256);
