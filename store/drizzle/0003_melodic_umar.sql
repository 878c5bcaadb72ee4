CREATE TABLE "gateway_users" (
	"gateway_id" text NOT NULL,
	"user_id" text NOT NULL,
	"bound_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "gateway_users_gateway_id_user_id_pk" PRIMARY KEY("gateway_id","user_id")
);
--> statement-breakpoint
ALTER TABLE "gateway_users" ADD CONSTRAINT "gateway_users_gateway_id_devices_id_fk" FOREIGN KEY ("gateway_id") REFERENCES "public"."devices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "gateway_users" ADD CONSTRAINT "gateway_users_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;