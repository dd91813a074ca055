-- Dashboard sessions, revocable server-side. The browser's cookie holds a random id;
-- only its SHA-256 is kept here. A session is made from one API token (`token_hash`)
-- and is valid while unrevoked, unexpired and its person's token is still that one.
CREATE TABLE sessions (
    id_hash     text PRIMARY KEY,
    person      text NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    token_hash  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz
);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- Failed dashboard sign-ins by client address, so every web process limits them alike.
CREATE TABLE sign_in_failures (
    client text NOT NULL,
    at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sign_in_failures_client ON sign_in_failures (client, at);
CREATE INDEX sign_in_failures_at ON sign_in_failures (at);

-- A person's calendar feed key is an HMAC of their id and this version: bumping it
-- revokes every feed URL made before, and no key is stored.
ALTER TABLE people ADD COLUMN feed_version integer NOT NULL DEFAULT 1;
