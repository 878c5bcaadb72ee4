-- Event ids come from devices: the idempotency key is (user_id, id), so one user's reading can
-- never shadow another's. Existing rows all have distinct ids, so they satisfy the new key.
-- On a TimescaleDB hypertable the key is a unique index with time_end instead (timescale.ts
-- replaces it at start), and there is no primary key to swap here.
ALTER TABLE "observations" DROP CONSTRAINT IF EXISTS "observations_pkey";--> statement-breakpoint
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_indexes WHERE tablename = 'observations' AND indexname = 'observations_id_time_uq') THEN
    ALTER TABLE "observations" ADD CONSTRAINT "observations_user_id_id_pk" PRIMARY KEY("user_id","id");
  END IF;
END $$;
