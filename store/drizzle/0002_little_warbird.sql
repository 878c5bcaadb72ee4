CREATE TABLE "daily_rollups" (
	"user_id" text NOT NULL,
	"day" date NOT NULL,
	"steps" double precision DEFAULT 0 NOT NULL,
	"hr_count" integer DEFAULT 0 NOT NULL,
	"hr_sum" double precision DEFAULT 0 NOT NULL,
	"hr_min" real,
	"hr_max" real,
	"resting_hr" real,
	"zone_seconds" jsonb,
	"max_hr" real,
	"hr_version" integer DEFAULT 0 NOT NULL,
	"refreshed_version" integer DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "daily_rollups_user_id_day_pk" PRIMARY KEY("user_id","day")
);
--> statement-breakpoint
ALTER TABLE "devices" ADD COLUMN "allowed_adapters" text[];--> statement-breakpoint
ALTER TABLE "observations" ADD COLUMN "txid" bigint DEFAULT (pg_current_xact_id()::text)::bigint NOT NULL;--> statement-breakpoint
CREATE INDEX "daily_rollups_stale_idx" ON "daily_rollups" USING btree ("user_id","day") WHERE "daily_rollups"."hr_version" > "daily_rollups"."refreshed_version";--> statement-breakpoint
CREATE INDEX "dead_letters_reason_idx" ON "dead_letters" USING btree ("reason","id");--> statement-breakpoint
CREATE INDEX "observations_user_txid_idx" ON "observations" USING btree ("user_id","txid","id");