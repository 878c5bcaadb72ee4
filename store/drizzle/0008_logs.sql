CREATE TABLE "goals" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"kind" text NOT NULL,
	"frequency" text NOT NULL,
	"target" double precision NOT NULL,
	"target_diastolic" double precision,
	"direction" text DEFAULT 'down' NOT NULL,
	"start_date" date NOT NULL,
	"target_date" date,
	"status" text DEFAULT 'active' NOT NULL,
	"priority" integer DEFAULT 3 NOT NULL,
	"title" text,
	"reached_period" date,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "local_daily_rollups" (
	"user_id" text NOT NULL,
	"day" date NOT NULL,
	"time_zone" text NOT NULL,
	"steps" double precision DEFAULT 0 NOT NULL,
	"workouts" integer DEFAULT 0 NOT NULL,
	"workout_min" double precision DEFAULT 0 NOT NULL,
	"sleep_min" double precision DEFAULT 0 NOT NULL,
	"mindfulness_min" double precision DEFAULT 0 NOT NULL,
	"weight_sum" double precision DEFAULT 0 NOT NULL,
	"weight_n" integer DEFAULT 0 NOT NULL,
	"bp_n" integer DEFAULT 0 NOT NULL,
	"bp_sys_sum" double precision DEFAULT 0 NOT NULL,
	"bp_dia_sum" double precision DEFAULT 0 NOT NULL,
	"food_kcal" double precision DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "local_daily_rollups_user_id_day_pk" PRIMARY KEY("user_id","day")
);
--> statement-breakpoint
ALTER TABLE "observations" ADD COLUMN "notes" jsonb;--> statement-breakpoint
-- The alerts branch may add the same column (agreed name time_zone): whichever migration runs second is a no-op.
ALTER TABLE "users" ADD COLUMN IF NOT EXISTS "time_zone" text;--> statement-breakpoint
ALTER TABLE "goals" ADD CONSTRAINT "goals_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "goals_user_idx" ON "goals" USING btree ("user_id","status");