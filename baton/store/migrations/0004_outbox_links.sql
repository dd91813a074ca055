-- The one-click links of a message (label, url, style), for channels that show them as
-- buttons (Slack) rather than in the text.
ALTER TABLE outbox ADD COLUMN links jsonb NOT NULL DEFAULT '[]';
