-- User-visible text is stored as a message key and its parameters, rendered by each reader in
-- its own locale (docs/architecture.md "Store keys, render late"). Existing rows keep what they
-- said: duty-log text moves to "legacyText" (shown as it was), incident titles and follow-up
-- subjects become {"text": …}, timeline messages stay in "message".

-- DutyLogEntry: text → legacyText, new rows carry key + params
ALTER TABLE "DutyLogEntry" RENAME COLUMN "text" TO "legacyText";
ALTER TABLE "DutyLogEntry" ALTER COLUMN "legacyText" DROP NOT NULL;
ALTER TABLE "DutyLogEntry" ADD COLUMN "key" TEXT NOT NULL DEFAULT 'legacy',
ADD COLUMN "params" JSONB NOT NULL DEFAULT '{}';
ALTER TABLE "DutyLogEntry" ALTER COLUMN "key" DROP DEFAULT;

-- FollowUp.subject and Incident.title: text → {"text": …}
ALTER TABLE "FollowUp" ALTER COLUMN "subject" TYPE JSONB USING jsonb_build_object('text', "subject");
ALTER TABLE "Incident" ALTER COLUMN "title" TYPE JSONB USING jsonb_build_object('text', "title");

-- Incident.kind: enum → text, so adding a procedure needs no migration
ALTER TABLE "Incident" ALTER COLUMN "kind" TYPE TEXT USING "kind"::text;
DROP TYPE "IncidentKind";

-- TimelineEntry: the procedure's reason as a key, "message" keeps what people typed
ALTER TABLE "TimelineEntry" ADD COLUMN "reasonKey" TEXT,
ADD COLUMN "reasonParams" JSONB;
