ALTER TABLE "devices" ADD COLUMN "battery_percent" integer;--> statement-breakpoint
ALTER TABLE "devices" ADD COLUMN "battery_at" timestamp with time zone;