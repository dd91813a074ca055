-- When the current attempt to hand a message to its provider began: written (and
-- committed) before the provider is called, cleared once the attempt's outcome is
-- recorded. A row that still carries it was perhaps accepted by a sender that died
-- mid-send, so the next sender asks the provider before sending it again.
ALTER TABLE outbox ADD COLUMN attempt_started_at timestamptz;
-- How a delivery was settled when it was not plain: found at the provider after an
-- interrupted attempt (not resent), or resent because the provider could not tell.
ALTER TABLE outbox ADD COLUMN note text;
