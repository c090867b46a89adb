-- The operator's controls and history: tenants can be suspended from the Master Bot, and the
-- pool's utilization is sampled for /stats.

ALTER TABLE tenants
    ADD COLUMN suspended_at timestamptz,
    ADD COLUMN suspended_reason text;

CREATE TABLE pool_samples (
    sampled_at  timestamptz PRIMARY KEY DEFAULT now(),
    total       integer NOT NULL,
    busy        integer NOT NULL,
    stale       integer NOT NULL
);
