CREATE TABLE "pending_readings" (
	"id" text PRIMARY KEY NOT NULL,
	"scale_id" text NOT NULL,
	"publisher_id" text NOT NULL,
	"measured_at" timestamp with time zone NOT NULL,
	"kg" double precision,
	"impedance_ohm" double precision,
	"reason" text NOT NULL,
	"candidates" jsonb NOT NULL,
	"events" jsonb NOT NULL,
	"scores" jsonb,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolution" text,
	"resolved_at" timestamp with time zone,
	"resolved_by" text,
	"assigned_to" text
);
--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "ftp_watts" integer;--> statement-breakpoint
CREATE INDEX "pending_readings_open_idx" ON "pending_readings" USING btree ("received_at" DESC NULLS LAST) WHERE "pending_readings"."resolution" is null;