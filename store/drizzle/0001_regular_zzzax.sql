CREATE TABLE "audit_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor" text NOT NULL,
	"actor_kind" text NOT NULL,
	"action" text NOT NULL,
	"target" text NOT NULL,
	"details" jsonb
);
--> statement-breakpoint
CREATE TABLE "class_session_summaries" (
	"session_id" text NOT NULL,
	"athlete_id" text NOT NULL,
	"name" text NOT NULL,
	"avg_bpm" integer,
	"max_bpm" integer,
	"seconds_in_zones" jsonb NOT NULL,
	"kcal" integer NOT NULL,
	"effort_points" integer NOT NULL,
	"readings" integer NOT NULL,
	CONSTRAINT "class_session_summaries_session_id_athlete_id_pk" PRIMARY KEY("session_id","athlete_id")
);
--> statement-breakpoint
CREATE TABLE "class_sessions" (
	"id" text PRIMARY KEY NOT NULL,
	"coach_id" text NOT NULL,
	"name" text NOT NULL,
	"athletes" jsonb NOT NULL,
	"zone_floors" jsonb NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ended_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "class_session_summaries" ADD CONSTRAINT "class_session_summaries_session_id_class_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."class_sessions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "audit_log_at_idx" ON "audit_log" USING btree ("at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "class_sessions_coach_idx" ON "class_sessions" USING btree ("coach_id","started_at" DESC NULLS LAST);