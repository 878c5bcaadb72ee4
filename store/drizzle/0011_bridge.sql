CREATE TABLE "bridge_cursors" (
	"user_id" text PRIMARY KEY NOT NULL,
	"node" text NOT NULL,
	"txid" bigint NOT NULL,
	"event_id" text NOT NULL,
	"metrics" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"alert_txid" bigint DEFAULT 0 NOT NULL,
	"alert_id" bigint DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "alerts" ADD COLUMN "txid" bigint DEFAULT (pg_current_xact_id()::text)::bigint NOT NULL;--> statement-breakpoint
CREATE INDEX "alerts_user_txid_idx" ON "alerts" USING btree ("user_id","txid","id");--> statement-breakpoint
-- Hand-written (drizzle-kit has no triggers): an update (resolved, acknowledged) moves the row to its transaction, so the bridge sees the change after its cursor.
CREATE FUNCTION "alerts_touch_txid"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW."txid" := (pg_current_xact_id()::text)::bigint; RETURN NEW; END $$;--> statement-breakpoint
CREATE TRIGGER "alerts_touch_txid" BEFORE UPDATE ON "alerts" FOR EACH ROW EXECUTE FUNCTION "alerts_touch_txid"();
