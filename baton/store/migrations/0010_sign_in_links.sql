-- Sign-in links sent by email, Slack and the mailbox ("Email me a sign-in link"). The
-- link itself is signed with the app secret and carries its person, expiry and a random
-- nonce; only the nonce's SHA-256 is kept here, so a copy of the table signs nobody
-- in. `used_at` makes a link work once: it is claimed with one conditional UPDATE.
CREATE TABLE sign_in_links (
    nonce_hash text PRIMARY KEY,
    person     text NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    next_path  text NOT NULL DEFAULT '/',
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX sign_in_links_expires ON sign_in_links (expires_at);

-- A session made by a sign-in link has no API token behind it: valid while unrevoked
-- and unexpired. A session made with a token still ends when that token is replaced.
ALTER TABLE sessions ALTER COLUMN token_hash DROP NOT NULL;

