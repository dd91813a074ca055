-- When a sender claimed a row ('sending'), so rows left behind by a crashed sender can
-- be found and put back to 'pending' (at-least-once delivery).
ALTER TABLE outbox ADD COLUMN claimed_at timestamptz;
CREATE INDEX outbox_sending ON outbox (claimed_at) WHERE status = 'sending';
